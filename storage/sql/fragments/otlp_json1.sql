multiIf(
    v1.string_value IS NOT NULL, toJSONString(assumeNotNull(v1.string_value)),
    v1.bool_value IS NOT NULL, if(assumeNotNull(v1.bool_value), 'true', 'false'),
    v1.int_value IS NOT NULL, toString(assumeNotNull(v1.int_value)),
    v1.double_value IS NOT NULL, if(isFinite(assumeNotNull(v1.double_value)), toString(assumeNotNull(v1.double_value)), concat('"', toString(assumeNotNull(v1.double_value)), '"')),
    v1.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(v1.bytes_value)), '"'),
    notEmpty(v1.array_value), concat('[', arrayStringConcat(arrayMap(v2 -> ${otlp_json2}, arrayFlatten(v1.array_value.values)), ','), ']'),
    notEmpty(v1.kvlist_value), concat('{', arrayStringConcat(arrayMap((k2, v2) -> concat(toJSONString(k2), ':', ${otlp_json2}), tupleElement(arrayFlatten(v1.kvlist_value.values), 'key'), tupleElement(arrayFlatten(v1.kvlist_value.values), 'value')), ','), '}'),
    'null')
