"""Request classes that parse OTLP like opentelemetry-proto, but refuse values nested too deep.

ClickHouse's staging tables hold AnyValue arrays and kvlists nested NATIVE_DEPTH levels deep (the
flat ones: none at all). Each set of classes unrolls AnyValue to its depth; below it, an array or
kvlist parses into `Deep`, a proto2 message with a required field that is never sent, so the C
runtime fails exactly those requests (at ByteSize, which checks required fields). The fast path thus
learns "too deep for this staging table" without a Python loop over attributes (DiscardUnknownFields
would cost twice the parse). Everything else (field numbers, names, nesting) is opentelemetry-proto's.
"""

from __future__ import annotations

from functools import cache

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.message import Message

from collector.otlp.model import Signal
from collector.otlp.responses import REQUEST_TYPES

NATIVE_DEPTH = 2  # arrays/kvlists inside arrays/kvlists: two levels, as storage/proto/otlp.proto
_COMMON = "opentelemetry.proto.common.v1"
_ANY_VALUE_CONTAINERS = {"array_value": "ArrayValue", "kvlist_value": "KeyValueList"}
_DEEP_FILE = "otelhouse_probe_deep.proto"
_DEEP = "otelhouse.probe.Deep"


def _deep_file() -> descriptor_pb2.FileDescriptorProto:
    """Declare `Deep`: proto2, with a required field no sender sets, so parsing one always fails."""
    fdp = descriptor_pb2.FileDescriptorProto(name=_DEEP_FILE, package="otelhouse.probe", syntax="proto2")
    deep = fdp.message_type.add(name="Deep")
    deep.field.add(
        name="never",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REQUIRED,
    )
    return fdp


def _limited_common(original: FileDescriptor, depth: int) -> descriptor_pb2.FileDescriptorProto:
    """Copy common.proto with AnyValue unrolled `depth` levels, then `Deep` below."""
    fdp = descriptor_pb2.FileDescriptorProto()
    original.CopyToProto(fdp)
    fdp.dependency.append(_DEEP_FILE)
    messages = {m.name: m for m in fdp.message_type}
    for level in range(1, depth + 1):
        for base in ("AnyValue", "ArrayValue", "KeyValueList", "KeyValue"):
            copy = fdp.message_type.add()
            copy.CopyFrom(messages[base])
            copy.name = f"{base}{level}"
    for level in range(depth + 1):
        suffix, inner = (str(level) if level else ""), str(level + 1)
        by_name = {m.name: m for m in fdp.message_type}
        any_value = by_name[f"AnyValue{suffix}"]
        for f in any_value.field:
            if f.name in _ANY_VALUE_CONTAINERS:
                deeper = f"{_COMMON}.{_ANY_VALUE_CONTAINERS[f.name]}{inner}"
                f.type_name = f".{_DEEP}" if level == depth else f".{deeper}"
        if level:
            by_name[f"ArrayValue{suffix}"].field[0].type_name = f".{_COMMON}.AnyValue{suffix}"
            by_name[f"KeyValueList{suffix}"].field[0].type_name = f".{_COMMON}.KeyValue{suffix}"
            for f in by_name[f"KeyValue{suffix}"].field:
                if f.name == "value":
                    f.type_name = f".{_COMMON}.AnyValue{suffix}"
    return fdp


def _add_file(pool: descriptor_pool.DescriptorPool, fd: FileDescriptor, done: set[str], depth: int) -> None:
    if fd.name in done:
        return
    for dep in fd.dependencies:
        _add_file(pool, dep, done, depth)
    if fd.package == _COMMON:
        pool.Add(_limited_common(fd, depth))
    else:
        fdp = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(fdp)
        pool.Add(fdp)
    done.add(fd.name)


def _probe_classes(depth: int) -> dict[Signal, type[Message]]:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_deep_file())
    done: set[str] = set()
    classes = {}
    for signal, cls in REQUEST_TYPES.items():
        _add_file(pool, cls.DESCRIPTOR.file, done, depth)
        classes[signal] = message_factory.GetMessageClass(pool.FindMessageTypeByName(cls.DESCRIPTOR.full_name))
    return classes


@cache
def python_classes(max_depth: int) -> dict[Signal, type[Message]]:
    """Request classes for Route.PYTHON: values parse `max_depth` levels deep, deeper ones into `Deep`.

    The protobuf runtime refuses a whole request nested past its recursion limit (100 messages,
    about 47 AnyValue levels); parsed this way, a value too deep stops at `Deep` (its bytes kept
    unparsed), so only its item is rejected (limits.drop_too_deep).
    """
    return _probe_classes(max_depth)


FLAT_PROBES: dict[Signal, type[Message]] = _probe_classes(0)  # Route.FLAT: scalars only
PROBES: dict[Signal, type[Message]] = _probe_classes(NATIVE_DEPTH)  # Route.NATIVE
