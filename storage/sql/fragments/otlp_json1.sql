multiIf(
    x1.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x1.2.string_value)),
    x1.2.bool_value IS NOT NULL, if(assumeNotNull(x1.2.bool_value), 'true', 'false'),
    x1.2.int_value IS NOT NULL, toString(assumeNotNull(x1.2.int_value)),
    x1.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x1.2.double_value)), toString(assumeNotNull(x1.2.double_value)), concat('"', toString(assumeNotNull(x1.2.double_value)), '"')),
    x1.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x1.2.bytes_value)), '"'),
    notEmpty(x1.2.array_value) OR notEmpty(x1.2.kvlist_value), concat(
        if(notEmpty(x1.2.array_value), '[', '{'),
        arrayStringConcat(arrayMap(x2 -> concat(x2.1, ${otlp_json2}), if(notEmpty(x1.2.array_value),
            arrayMap(v -> ('', v), arrayFlatten(x1.2.array_value.values)),
            arrayMap(p -> (concat(toJSONString(p.1), ':'), p.2), arrayFlatten(x1.2.kvlist_value.values)))), ','),
        if(notEmpty(x1.2.array_value), ']', '}')),
    'null')
