"""Decode Jaeger Thrift with thriftpy2 and Jaeger's IDL (jaeger.thrift beside this file).

thriftpy2 trusts the lengths a message claims: its Cython binary protocol allocates the list first
(8 hostile bytes ask for gigabytes), and its pure-Python protocols read past the end as empty and
loop over 2^31 claimed elements of an unknown type. So the pure-Python protocols run over a buffer
that raises at its end, and every container's claimed size is checked against the bytes left (a
valid element takes at least one byte) before thriftpy2 loops over it.
"""

from __future__ import annotations

from importlib import resources

import thriftpy2
from thriftpy2.protocol import binary
from thriftpy2.protocol.binary import TBinaryProtocol
from thriftpy2.protocol.compact import TCompactProtocol
from thriftpy2.thrift import TMessageType, TType

from collector.otlp.model import InvalidRequest

with resources.as_file(resources.files("collector.jaeger") / "jaeger.thrift") as _idl:
    jaeger = thriftpy2.load(str(_idl), module_name="jaeger_thrift")


_ELEMENT_TYPES = {
    TType.BOOL,
    TType.BYTE,
    TType.DOUBLE,
    TType.I16,
    TType.I32,
    TType.I64,
    TType.STRING,
    TType.STRUCT,
    TType.MAP,
    TType.SET,
    TType.LIST,
}


class BoundedBuffer:
    """A read buffer that raises at its end (thriftpy2's TMemoryBuffer returns short reads)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise EOFError(f"the message ends early (at byte {self.pos} of {len(self.data)})")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def left(self) -> int:
        return len(self.data) - self.pos


def check_container(size: int, types: tuple[int, ...], buffer: BoundedBuffer) -> None:
    """Refuse a container whose claimed size cannot fit in the bytes left, or whose element type is not one."""
    if size and any(t not in _ELEMENT_TYPES for t in types):
        raise ValueError(f"container of unknown element type {types}")
    if not 0 <= size <= buffer.left():
        raise ValueError(f"container claims {size} elements with {buffer.left()} bytes left")


def _read_list_begin(inbuf: BoundedBuffer) -> tuple[int, int]:
    e_type, size = _binary_list_begin(inbuf)
    check_container(size, (e_type,), inbuf)
    return e_type, size


def _read_map_begin(inbuf: BoundedBuffer) -> tuple[int, int, int]:
    k_type, v_type, size = _binary_map_begin(inbuf)
    check_container(size, (k_type, v_type), inbuf)
    return k_type, v_type, size


# the binary protocol reads containers through these module functions, so the checks go there
_binary_list_begin, _binary_map_begin = binary.read_list_begin, binary.read_map_begin
binary.read_list_begin, binary.read_map_begin = _read_list_begin, _read_map_begin


class CheckedCompactProtocol(TCompactProtocol):
    """thriftpy2's compact protocol with container sizes checked."""

    def _read_collection_begin(self):
        e_type, size = super()._read_collection_begin()
        check_container(size, (e_type,), self.trans)
        return e_type, size

    def _read_map_begin(self):
        k_type, v_type, size = super()._read_map_begin()
        check_container(size, (k_type, v_type), self.trans)
        return k_type, v_type, size


def _fail(what: str, exc: Exception) -> InvalidRequest:
    # thriftpy2 raises struct.error, TProtocolException, UnicodeDecodeError ... on bad bytes
    return InvalidRequest(f"body is not a Jaeger {what}: {exc.__class__.__name__}: {exc}")


def decode_batch(body: bytes):
    """A jaeger.Batch from Thrift binary protocol (POST /api/traces); raise InvalidRequest."""
    batch = jaeger.Batch()
    try:
        batch.read(TBinaryProtocol(BoundedBuffer(body)))
    except Exception as exc:
        raise _fail("Thrift Batch (binary protocol)", exc) from None
    return batch


def decode_agent_datagram(datagram: bytes):
    """The Batch of an Agent.emitBatch call in Thrift compact protocol (UDP 6831); raise InvalidRequest."""
    try:
        proto = CheckedCompactProtocol(BoundedBuffer(datagram))
        name, kind, _ = proto.read_message_begin()
        if name != "emitBatch" or kind not in (TMessageType.CALL, TMessageType.ONEWAY):
            raise InvalidRequest(f"unsupported agent call {name!r}: only emitBatch is taken")
        args = jaeger.Agent.emitBatch_args()
        args.read(proto)
    except InvalidRequest:
        raise
    except Exception as exc:
        raise _fail("agent emitBatch datagram (compact protocol)", exc) from None
    if args.batch is None:
        raise InvalidRequest("emitBatch carries no batch")
    return args.batch
