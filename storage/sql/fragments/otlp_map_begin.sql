arrayMap(p -> CAST(arrayFilter((x, n) -> x.1 != n,
        arraySort((x, i) -> (x.1, i), p, arrayEnumerate(p)),
        arrayShiftLeft(arraySort((x, i) -> (x.1, i), p, arrayEnumerate(p)).1, 1, concat(p[-1].1, '.'))), 'Map(String, String)'),
    [arrayMap(kv -> (kv.1, ${otlp_text}), 