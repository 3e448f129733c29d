kv.2.string_value IS NOT NULL, assumeNotNull(kv.2.string_value),
    kv.2.bool_value IS NOT NULL, if(assumeNotNull(kv.2.bool_value), 'true', 'false'),
    kv.2.int_value IS NOT NULL, toString(assumeNotNull(kv.2.int_value)),
    kv.2.double_value IS NOT NULL, toString(assumeNotNull(kv.2.double_value)),
    kv.2.bytes_value IS NOT NULL, base64Encode(assumeNotNull(kv.2.bytes_value))
