multiIf(
    x2.2.string_value IS NOT NULL, toJSONString(assumeNotNull(x2.2.string_value)),
    x2.2.bool_value IS NOT NULL, if(assumeNotNull(x2.2.bool_value), 'true', 'false'),
    x2.2.int_value IS NOT NULL, toString(assumeNotNull(x2.2.int_value)),
    x2.2.double_value IS NOT NULL, if(isFinite(assumeNotNull(x2.2.double_value)), toString(assumeNotNull(x2.2.double_value)), concat('"', toString(assumeNotNull(x2.2.double_value)), '"')),
    x2.2.bytes_value IS NOT NULL, concat('"', base64Encode(assumeNotNull(x2.2.bytes_value)), '"'),
    'null')
