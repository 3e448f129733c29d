"""The write-ahead log: accepted payloads on local disk before they are acknowledged."""
