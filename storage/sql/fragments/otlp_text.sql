multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value) OR notEmpty(kv.2.kvlist_value), concat(
        if(notEmpty(kv.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x1 -> concat(x1.1, ${otlp_json1}), if(notEmpty(kv.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(kv.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(kv.2.kvlist_value.values)))), ','),
        if(notEmpty(kv.2.array_value), ']', '}')),
    '')
