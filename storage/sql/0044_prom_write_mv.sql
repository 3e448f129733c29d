CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.prom_write_mv ${on_cluster}
TO ${db}.otlp_metrics_points_prom
-- the rows remote_write.to_otlp maps a WriteRequest to (collector/prometheus/direct.py): a point per
-- sample inside the accepted window; labels with empty values dropped, the last of a repeated name
-- kept, sorted; job and instance as the resource's service.name and service.instance.id; the kind,
-- HELP and UNIT the collector resolved for the name; a staleness marker (NaN 0x7ff0000000000002)
-- flagged FLAG_NO_RECORDED_VALUE. Columns left out take their defaults, as the OTLP rendering has them.
AS SELECT
    kind.2 AS Kind,
    CAST(arrayFilter(kv -> kv.2 != '', [('service.instance.id', instance), ('service.name', job)]),
         'Map(String, String)') AS ResourceAttributes,
    'otelhouse/prometheus' AS ScopeName,
    job AS ServiceName,
    kind.1 AS MetricName,
    kind.3 AS MetricDescription,
    kind.4 AS MetricUnit,
    attributes AS Attributes,
    fromUnixTimestamp64Nano(sample.2 * 1000000) AS TimeUnix,
    toUInt32(reinterpretAsUInt64(sample.1) = 9218868437227405314) AS Flags,
    sample.1 AS Value,
    if(kind.2 = 2, 2, 0) AS AggregationTemporality,
    kind.2 = 2 AS IsMonotonic
-- a row per series first (its labels and kind worked out once), then a row per sample
FROM
(
    SELECT
        otelhouse_low_ms AS low,
        otelhouse_high_ms AS high,
        ts.samples AS samples,
        otelhouse_kinds[indexOf(otelhouse_kinds.name, tupleElement(ts.labels[1], 2))] AS kind,
        -- the labels with a value as (name, position, value), sorted, the last of each name kept
        arrayFilter(l -> l.2 != '', ts.labels) AS valued,
        arraySort(arrayMap((l, i) -> (l.1, i, l.2), valued, arrayEnumerate(valued))) AS sorted,
        arrayFilter((x, next) -> x.1 != next, sorted, arrayShiftLeft(sorted.1, 1, concat(sorted[-1].1, '.'))) AS d,
        arrayFirst(x -> x.1 = 'job', d).3 AS job,
        arrayFirst(x -> x.1 = 'instance', d).3 AS instance,
        CAST(arrayMap(x -> (x.1, x.3), arrayFilter(x -> x.1 NOT IN ('__name__', 'job', 'instance'), d)),
             'Map(String, String)') AS attributes
    FROM ${db}.prom_write_staging
    ARRAY JOIN timeseries AS ts
)
ARRAY JOIN samples AS sample
WHERE sample.2 BETWEEN low AND high
