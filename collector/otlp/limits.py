"""Ingest limits and the checks behind them that look inside attribute values.

The per-item checks (ids, timestamps, attribute counts) live in decode.py's loops; this module holds
what those loops must not pay for on ordinary requests: truncating long string values (gated by a
C-speed scan of the body, see `may_hold_long_string`) and measuring AnyValue nesting (needed only on
the Python route, since the native route's probe already proves depth <= NATIVE_DEPTH).
"Every string" means what is stored: attribute values, names, log bodies, status messages; attribute
keys are left alone (the OTel SDKs do not cut them either).
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from google.protobuf.message import Message

from collector.otlp.model import InvalidRequest, Signal

NS_PER_DAY = 86_400 * 10**9
# DateTime64(9) stores Int64 nanoseconds: nothing after 2262-04-11T23:47:16.854775807Z fits
MAX_DATETIME64_NS = (1 << 63) - 1
# Only a table TTL drops rows at insert; with the default policy there is none, so backfill is accepted
# and the next roll archives it (docs/retention.md). With a backstop TTL, older rows are refused.
TTL_SETTING = {s: f"the table TTL (retention.{s}_hot_days + retention.ttl_margin_days)" for s in Signal}
CONTAINERS = {
    Signal.TRACES: ("resource_spans", "scope_spans", "spans"),
    Signal.LOGS: ("resource_logs", "scope_logs", "log_records"),
    Signal.METRICS: ("resource_metrics", "scope_metrics", "metrics"),
}


class TooManyItems(InvalidRequest):
    """A request holds more items than collector.max_items_per_request (400 / INVALID_ARGUMENT)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may hold; defaults mirror CollectorSettings'."""

    max_items: int = 100_000
    max_attributes: int = 128
    max_value_length: int = 65_536
    max_name_length: int = 16_384
    max_body_length: int = 65_536
    max_depth: int = 16
    max_future_s: int = 86_400
    ttl_days: dict[Signal, int] = field(default_factory=lambda: dict.fromkeys(Signal, 0))

    @property
    def shortest_string_limit(self) -> int:
        return min(self.max_value_length, self.max_name_length, self.max_body_length)

    def window(self, signal: Signal, now_ns: int | None = None) -> tuple[int, int]:
        """Return the accepted [low, high] of an item's timestamp, in ns since the epoch."""
        now = time.time_ns() if now_ns is None else now_ns
        days = self.ttl_days.get(signal, 0)
        # ClickHouse drops a row already past the table TTL at insert: refuse it rather than ack and lose it
        low = now - days * NS_PER_DAY if days else 1
        return max(low, 1), min(now + self.max_future_s * 10**9, MAX_DATETIME64_NS)


def timestamp_problem(signal: Signal, limits: Limits, field_name: str, value: int, window: tuple[int, int]) -> str:
    """Explain why `value` is outside the accepted window (for the partial-success message)."""
    low, high = window
    if value == 0:
        return f"{field_name} is 0 (unset)"
    if value > MAX_DATETIME64_NS:
        return f"{field_name} {value} is after 2262-04-11, past what DateTime64(9) holds"
    if value > high:
        return f"{field_name} is more than collector.max_future_timestamp_s ({limits.max_future_s} s) in the future"
    days = limits.ttl_days.get(signal, 0)
    return (
        f"{field_name} is older than {TTL_SETTING[signal]} ({days} days); ClickHouse would drop it at insert"
        if value < low
        else f"{field_name} {value} is out of range"
    )


def attributes_problem(count: int, limits: Limits) -> str:
    return f"{count} attributes, more than collector.max_attributes_per_item ({limits.max_attributes})"


# A string field is length-delimited: a one-byte tag with wire type 2 (every OTLP string field has a
# number below 16: 0x0a, 0x12, ... 0x7a), then a varint length. A string longer than `limit` bytes has
# a varint of at least as many bytes as limit + 1 needs: continuation bytes (>= 0x80), then a last one.
_TAG_BYTES = frozenset(range(0x0A, 0x80, 8))
# Each byte mapped to its class, so that C's substring search finds candidates: a tag 'T', a byte with
# the high bit set 'H', anything else '.'. (A regex with a character class costs ~10 ns a byte.)
_CLASSES = bytes(ord("H") if b >= 0x80 else ord("T") if b in _TAG_BYTES else ord(".") for b in range(256))
_SCAN_CHUNK = 256 * 1024  # one C call per chunk: the GIL is handed over between chunks of a large body
_MAX_VARINT = 10
_UTF8_PREFIX = 64
_MAX_CANDIDATES = 4096  # ~10 ms of checks; a 1,000-span request has ~500 candidates


def _long_field_starts(body: bytes, limit: int) -> Iterator[int]:
    """Offsets of a tag followed by enough continuation bytes to hold a length above `limit`."""
    continuation = ((limit + 1).bit_length() + 6) // 7 - 1
    needle = b"T" + b"H" * continuation
    for base in range(0, len(body), _SCAN_CHUNK):
        # the chunk overlaps the next by one tag and varint: a candidate across the border is found whole
        classes = body[base : base + _SCAN_CHUNK + 1 + _MAX_VARINT].translate(_CLASSES)
        at = classes.find(needle)
        while at != -1 and at < _SCAN_CHUNK:  # those past the chunk are the next chunk's
            yield base + at
            at = classes.find(needle, at + 1)


def may_hold_long_string(body: bytes, limit: int) -> bool:
    """Cheap upper bound: False only if no string in `body` can exceed `limit` characters.

    A string of more than `limit` characters has more than `limit` UTF-8 bytes and sits in the body
    as a length-delimited tag, a varint length, and that many valid UTF-8 bytes. Candidates are found
    by C substring search over the bytes' classes (about 1 ns a byte, in chunks); the few hits (mostly
    ids and message headers) are weeded out by length and UTF-8 validity, which random bytes fail
    within a few bytes. Past _MAX_CANDIDATES it gives up and says True: the exact walk over the
    parsed message (truncate_strings) then costs what the message's strings cost, not its bytes.
    """
    if len(body) <= limit:
        return False
    if limit < 128:  # short strings have one-byte lengths the scan does not look for
        return True
    view = memoryview(body)
    for checked, tag in enumerate(_long_field_starts(body, limit)):
        if checked == _MAX_CANDIDATES:  # binary values make candidates by the ten thousand: walk instead
            return True
        length, start = _varint(body, tag + 1)
        if length > limit and start + length <= len(body) and _utf8(view[start : start + length]):
            return True
    return False


def _utf8(data: memoryview) -> bool:
    """Whether `data` is valid UTF-8; its first bytes are tried alone, which random bytes fail at once
    (a failed decode copies what it was given into the exception: megabytes, for a whole body)."""
    try:
        codecs.utf_8_decode(data[:_UTF8_PREFIX], "strict", False)  # not final: a character may go on
        str(data, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _varint(body: bytes, at: int) -> tuple[int, int]:
    """The varint at `at` and the offset after it; (0, at) when it does not end within 10 bytes."""
    value = 0
    for shift, byte in enumerate(body[at : at + _MAX_VARINT]):
        value |= (byte & 0x7F) << (7 * shift)
        if byte < 0x80:
            return value, at + shift + 1
    return 0, at


def attribute_lists(signal: Signal, request: Message) -> Iterator[Iterable[Message]]:
    """Yield every attribute list of a request: resource, scope, items, events, links, exemplars."""
    containers = CONTAINERS[signal]
    for resource in getattr(request, containers[0]):
        yield resource.resource.attributes
        for scope in getattr(resource, containers[1]):
            yield scope.scope.attributes
            for item in getattr(scope, containers[2]):
                yield from _item_attribute_lists(signal, item)


def _item_attribute_lists(signal: Signal, item: Message) -> Iterator[Iterable[Message]]:
    if signal is Signal.METRICS:
        kind = item.WhichOneof("data")
        for point in getattr(item, kind).data_points if kind else ():
            yield point.attributes
            for exemplar in getattr(point, "exemplars", ()):
                yield exemplar.filtered_attributes
        return
    yield item.attributes
    if signal is Signal.TRACES:
        for nested in (*item.events, *item.links):
            yield nested.attributes


def truncate_strings(signal: Signal, request: Message, limits: Limits) -> int:
    """Cut every stored string over its limit, in place; return how many were cut.

    Attribute values (also inside arrays and kvlists) to max_value_length; span, event, metric and
    scope names, metric units and descriptions to max_name_length; strings of a log body and a
    span's status message to max_body_length.
    """
    value_limit, names = limits.max_value_length, limits.max_name_length
    cut = sum(_truncate(kv.value, value_limit) for attrs in attribute_lists(signal, request) for kv in attrs)
    containers = CONTAINERS[signal]
    for resource in getattr(request, containers[0]):
        for scope in getattr(resource, containers[1]):
            cut += _cut(scope.scope, ("name", "version"), names)
            for item in getattr(scope, containers[2]):
                cut += _ITEM_STRINGS[signal](item, limits)
    return cut


def _cut(message: Message, fields: tuple[str, ...], limit: int) -> int:
    cut = 0
    for name in fields:
        text = getattr(message, name)
        if len(text) > limit:
            setattr(message, name, text[:limit])
            cut += 1
    return cut


def _span_strings(span: Message, limits: Limits) -> int:
    cut = _cut(span, ("name",), limits.max_name_length) + _cut(span.status, ("message",), limits.max_body_length)
    return cut + sum(_cut(event, ("name",), limits.max_name_length) for event in span.events)


def _log_strings(record: Message, limits: Limits) -> int:
    return _truncate(record.body, limits.max_body_length) + _cut(record, ("event_name",), limits.max_name_length)


def _metric_strings(metric: Message, limits: Limits) -> int:
    return _cut(metric, ("name", "description", "unit"), limits.max_name_length)


_ITEM_STRINGS = {Signal.TRACES: _span_strings, Signal.LOGS: _log_strings, Signal.METRICS: _metric_strings}


def _contents(value: Message, kind: str) -> Iterable[Message]:
    """The AnyValues inside an array or kvlist; none inside a probe's `Deep` (never stored)."""
    container = getattr(value, kind)
    items = getattr(container, "values", ())
    return items if kind == "array_value" else (kv.value for kv in items)


def _truncate(value: Message, limit: int) -> int:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        if len(value.string_value) > limit:
            value.string_value = value.string_value[:limit]
            return 1
        return 0
    if kind in ("array_value", "kvlist_value"):
        return sum(_truncate(v, limit) for v in _contents(value, kind))
    return 0


def depth(value: Message, cap: int = 1 << 30) -> int:
    """Return how many arrays/kvlists nest in an AnyValue: 0 for a scalar, 1 for [1, 2], 2 for [[1]].

    Counting stops past `cap` levels (the answer is then cap + 1); a probe's `Deep` counts as one more.
    """
    kind = value.WhichOneof("value")
    if kind not in ("array_value", "kvlist_value"):
        return 0
    if cap <= 0:
        return 1
    return 1 + max((depth(v, cap - 1) for v in _contents(value, kind)), default=0)


def too_deep(attribute_lists: Iterable[Iterable[Message]], max_depth: int) -> int:
    """Return the first nesting depth above `max_depth` among the attribute lists' values, else 0."""
    for attrs in attribute_lists:
        for kv in attrs:
            d = depth(kv.value, max_depth)
            if d > max_depth:
                return d
    return 0


def drop_too_deep(signal: Signal, request: Message, max_depth: int) -> tuple[int, int]:
    """Drop items holding a value nested deeper than `max_depth`; return (items dropped, first depth seen).

    Items are points for metrics. A resource or scope whose own attributes are too deep is dropped
    with its items, as they cannot be stored without it.
    """
    names = CONTAINERS[signal]
    dropped = first = 0
    resources = getattr(request, names[0])
    for r in reversed(range(len(resources))):
        resource = resources[r]
        outer = too_deep([resource.resource.attributes], max_depth)
        scopes = getattr(resource, names[1])
        for s in reversed(range(len(scopes))):
            scope = scopes[s]
            shared = outer or too_deep([scope.scope.attributes], max_depth)
            lists = [getattr(scope, names[2])]
            if signal is Signal.METRICS:
                lists = [getattr(m, k).data_points for m in lists[0] if (k := m.WhichOneof("data"))]
            for items in lists:
                found = [shared or _item_depth(signal, item, max_depth) for item in items]
                bad = [i for i, d in enumerate(found) if d]
                for i in reversed(bad):
                    del items[i]
                dropped += len(bad)
                first = first or next((d for d in found if d), 0)
            if shared and not outer:
                del scopes[s]
        if outer:
            del resources[r]
    return dropped, first


def _item_depth(signal: Signal, item: Message, max_depth: int) -> int:
    if signal is Signal.METRICS:
        exemplars = getattr(item, "exemplars", ())  # summary points have none
        lists: list[Iterable[Message]] = [item.attributes, *(x.filtered_attributes for x in exemplars)]
    else:
        lists = list(_item_attribute_lists(signal, item))
    found = too_deep(lists, max_depth)
    if not found and signal is Signal.LOGS and (d := depth(item.body, max_depth)) > max_depth:
        found = d
    return found


def depth_problem(found: int, limits: Limits) -> str:
    return f"a value nested more than collector.max_anyvalue_depth ({limits.max_depth}) levels deep"
