multiIf(
    kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value)),
    notEmpty(kv.2.array_value), concat('[', arrayStringConcat(arrayMap(v1 -> ${otlp_json1}, arrayFlatten(kv.2.array_value.values)), ','), ']'),
    notEmpty(kv.2.kvlist_value), concat('{', arrayStringConcat(arrayMap((k1, v1) -> concat(toJSONString(k1), ':', ${otlp_json1}), tupleElement(arrayFlatten(kv.2.kvlist_value.values), 'key'), tupleElement(arrayFlatten(kv.2.kvlist_value.values), 'value')), ','), '}'),
    '')
