CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.prom_write_mv ${on_cluster}
TO ${db}.otlp_metrics_points
-- the rows remote_write.to_otlp maps a WriteRequest to (collector/prometheus/direct.py): a point per
-- sample inside the accepted window; labels with empty values dropped, the last of a repeated name
-- kept, sorted; job and instance as the resource's service.name and service.instance.id; the kind,
-- HELP and UNIT the collector resolved for the name; a staleness marker (NaN 0x7ff0000000000002)
-- flagged FLAG_NO_RECORDED_VALUE. Columns left out take their defaults, as the OTLP rendering has them.
AS SELECT
    series.1 AS Kind,
    series.2 AS ResourceAttributes,
    'otelhouse/prometheus' AS ScopeName,
    series.2['service.name'] AS ServiceName,
    series.3 AS MetricName,
    series.4 AS MetricDescription,
    series.5 AS MetricUnit,
    series.6 AS Attributes,
    fromUnixTimestamp64Nano(sample.2 * 1000000) AS TimeUnix,
    toUInt32(reinterpretAsUInt64(sample.1) = 9218868437227405314) AS Flags,
    sample.1 AS Value,
    if(series.1 = 2, 2, 0) AS AggregationTemporality,
    series.1 = 2 AS IsMonotonic
FROM ${db}.prom_write_staging
-- one tuple per series: (kind, resource, name, help, unit, attributes, samples in the window)
ARRAY JOIN arrayMap(ts -> arrayMap(
    -- d: the labels with a value as (name, position, value), sorted, the last of each name kept
    d -> arrayMap(k -> (
        k.2,
        CAST(arrayFilter(kv -> kv.2 != '', [('service.instance.id', arrayFirst(x -> x.1 = 'instance', d).3),
                                            ('service.name', arrayFirst(x -> x.1 = 'job', d).3)]),
             'Map(String, String)'),
        k.1, k.3, k.4,
        CAST(arrayMap(x -> (x.1, x.3), arrayFilter(x -> x.1 NOT IN ('__name__', 'job', 'instance'), d)),
             'Map(String, String)'),
        arrayFilter(s -> s.2 BETWEEN otelhouse_low_ms AND otelhouse_high_ms, ts.samples)),
        [otelhouse_kinds[indexOf(otelhouse_kinds.name, tupleElement(ts.labels[1], 2))]])[1],
    [arrayMap(nz -> arrayMap(s -> arrayFilter((x, next) -> x.1 != next, s, arrayShiftLeft(s.1, 1, concat(s[-1].1, '.'))),
        [arraySort(arrayMap((l, i) -> (l.1, i, l.2), nz, arrayEnumerate(nz)))])[1],
     [arrayFilter(l -> l.2 != '', ts.labels)])[1]])[1],
    timeseries) AS series
ARRAY JOIN series.7 AS sample
