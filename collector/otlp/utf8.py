"""Repair strings that are not valid UTF-8, which the protobuf runtime refuses for a whole request.

proto3 requires UTF-8 in string fields and upb fails the parse of the entire request on one bad
byte. Rather than reject a request's good items with it, a request that fails to parse is parsed
again by classes in which every string field is declared `bytes`; if that succeeds, each such field
that is not valid UTF-8 is decoded with U+FFFD for the bad bytes, and the repaired request is
serialized for the normal decode. This runs only after a parse failed, so valid requests pay nothing.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor, FileDescriptor
from google.protobuf.message import DecodeError, Message

from collector.otlp.model import Signal
from collector.otlp.responses import REQUEST_TYPES

# (message full name, field name) of every field that is a string in opentelemetry-proto
_STRING_FIELDS: set[tuple[str, str]] = set()


def _add_lenient(pool: descriptor_pool.DescriptorPool, fd: FileDescriptor, done: set[str]) -> None:
    if fd.name in done:
        return
    for dep in fd.dependencies:
        _add_lenient(pool, dep, done)
    fdp = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(fdp)
    stack = [(f"{fdp.package}.{m.name}", m) for m in fdp.message_type]
    while stack:
        full_name, message = stack.pop()
        stack.extend((f"{full_name}.{m.name}", m) for m in message.nested_type)
        for f in message.field:
            if f.type == descriptor_pb2.FieldDescriptorProto.TYPE_STRING:
                f.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
                _STRING_FIELDS.add((full_name, f.name))
    pool.Add(fdp)
    done.add(fd.name)


def _lenient_classes() -> dict[Signal, type[Message]]:
    pool = descriptor_pool.DescriptorPool()
    done: set[str] = set()
    classes = {}
    for signal, cls in REQUEST_TYPES.items():
        _add_lenient(pool, cls.DESCRIPTOR.file, done)
        classes[signal] = message_factory.GetMessageClass(pool.FindMessageTypeByName(cls.DESCRIPTOR.full_name))
    return classes


_LENIENT = _lenient_classes()


def repair_utf8(signal: Signal, body: bytes) -> tuple[bytes, int] | None:
    """Return the body with invalid UTF-8 in string fields replaced, and how many fields were repaired.

    None when the body does not parse even with strings as bytes (it is broken some other way).
    """
    lenient = _LENIENT[signal]()
    try:
        lenient.ParseFromString(body)
    except DecodeError:
        return None
    repaired = _repair(lenient)
    return (lenient.SerializeToString(), repaired) if repaired else None


def _repair(message: Message) -> int:
    repaired = 0
    name = message.DESCRIPTOR.full_name
    for fd, value in message.ListFields():
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            for child in value if fd.is_repeated else (value,):
                repaired += _repair(child)
        elif (name, fd.name) in _STRING_FIELDS:
            values = list(value) if fd.is_repeated else [value]
            fixed = [_valid(v) for v in values]
            changed = sum(a is not b for a, b in zip(values, fixed, strict=True))
            if changed and fd.is_repeated:
                del value[:]
                value.extend(fixed)
            elif changed:
                setattr(message, fd.name, fixed[0])
            repaired += changed
    return repaired


def _valid(raw: bytes) -> bytes:
    """Return `raw` itself when it is UTF-8, else a repaired copy."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace").encode("utf-8")
    return raw
