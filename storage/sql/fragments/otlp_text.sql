multiIf(
    ${otlp_text_scalar},
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, ${otlp_json1}), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')
