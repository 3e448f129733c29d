"""Protobuf wire-format helpers shared by storage and the receivers that write protobuf bytes directly."""

from __future__ import annotations


def encode_varint(n: int) -> bytes:
    """A non-negative integer as a protobuf varint (tags, lengths, and the length-delimited format)."""
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)
