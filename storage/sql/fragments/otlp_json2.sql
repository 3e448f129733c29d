multiIf(
    v2.string_value IS NOT NULL, toJSONString(assumeNotNull(v2.string_value)),
    v2.bool_value IS NOT NULL, if(assumeNotNull(v2.bool_value), 'true', 'false'),
    v2.int_value IS NOT NULL, toString(assumeNotNull(v2.int_value)),
    v2.double_value IS NOT NULL, if(isFinite(assumeNotNull(v2.double_value)), toString(assumeNotNull(v2.double_value)), concat('"', toString(assumeNotNull(v2.double_value)), '"')),
    v2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(v2.bytes_value)), '"'),
    'null')
