"""Turn a JSON-lines request body into an OTLP ExportLogsServiceRequest and a per-line report (pure).

Every line is stored unless it cannot be: a line mapped by its dialect is stored mapped; a line
that is not JSON, not an object, nested deeper than collector.json_max_depth or holding more fields
than collector.max_attributes_per_item is stored raw (body = the line, severity unset, attribute
`otelhouse.unparsed` says why); only a line longer than collector.json_max_line_bytes or whose time
is outside what storage keeps is rejected. Each of these is reported with its line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.jsonlines.fastpath import Recent, target
from collector.jsonlines.lines import Line, parse_line, split_lines
from collector.jsonlines.mapper import TIMESTAMP_NOTE, Inexact, MappedLine, TooDeep, json_text, map_line
from collector.logwire import Attribute, LogsBuilder, Record, encode_record
from collector.otlp.limits import Limits, TooManyItems, timestamp_problem
from collector.otlp.model import Signal

UNPARSED = "otelhouse.unparsed"  # attribute of a line stored raw: why it was not mapped
MAX_PROBLEMS = 20  # problems listed in a response (all are counted)


@dataclass(frozen=True, slots=True)
class LineLimits:
    """The OTLP limits plus the two that only lines have (collector.json_max_line_bytes, json_max_depth)."""

    otlp: Limits = field(default_factory=Limits)
    max_line_bytes: int = 262_144
    max_depth: int = 16


@dataclass(frozen=True, slots=True)
class Context:
    """What the request says beside its lines: the fallback service name and resource attributes."""

    service: str | None
    resource: tuple[Attribute, ...]
    arrival_ns: int


@dataclass
class Report:
    """What became of a request's lines (the response body)."""

    lines: int = 0
    mapped: int = 0
    raw: int = 0
    rejected: int = 0
    repaired: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    truncated: int = 0  # strings cut to their collector.max_*_length (counted in metrics, not in the response)

    def problem(self, number: int, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((number, text))

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "stored": self.mapped + self.raw,
            "mapped": self.mapped,
            "raw": self.raw,
            "rejected": self.rejected,
            "repaired": self.repaired,
            "problems": [{"line": n, "problem": p} for n, p in self.problems],
        }


class Resources:
    """The resource of each line: the request's attributes, the service, the line's own resource fields."""

    def __init__(self, base: tuple[Attribute, ...], service: str | None) -> None:
        self.base = tuple(kv for kv in base if kv[0] != "service.name")
        self.service = service or dict(base).get("service.name")  # type: ignore[assignment]
        self.cache: dict[tuple, tuple[Attribute, ...]] = {}

    def of(self, service: str | None, extra: list[Attribute]) -> tuple[Attribute, ...]:
        key = (service, *extra)
        found = self.cache.get(key)
        if found is None:
            name = service or self.service
            own = dict(extra)
            found = (
                *(kv for kv in self.base if kv[0] not in own),
                *extra,
                *((("service.name", name),) if name else ()),
            )
            if len(self.cache) < 1024:
                self.cache[key] = found
        return found


def mapped_record(line: MappedLine, observed_ns: int, extra: list[Attribute] | None = None) -> Record:
    """The log record of a mapped line; `extra` attributes (e.g. Loki's structured metadata) go last."""
    attrs = line.attributes
    if not line.time_ns:
        attrs = [*attrs, (TIMESTAMP_NOTE, "arrival")]
    if extra:
        attrs = [*attrs, *extra]
    return Record(
        line.time_ns,
        line.observed_ns or observed_ns,
        line.severity_number,
        line.severity_text,
        line.body,
        attrs,
        line.trace_id,
        line.span_id,
        line.flags,
    )


def raw_record(text: str, why: str, observed_ns: int, extra: list[Attribute] | None = None) -> Record:
    """The log record of a line stored as it came: body = the line, severity unset."""
    return Record(0, observed_ns, 0, "", text, [(UNPARSED, why), *(extra or ())])


def _raw_text(line: Line) -> str:
    return line.raw.decode("utf-8", "replace") if line.raw else json_text(line.value)


def _inner(text: str) -> object:
    value, problem, _ = parse_line(text)
    return value if not problem and type(value) is dict else None


def map_object(obj: dict, limits: LineLimits, raw: bytes | str = b"") -> tuple[MappedLine | None, str]:
    """Map a parsed object; (None, why) when it must be stored raw instead.

    `raw` (the line's text) is read again exactly when the fast parse may have rounded a large integer.
    """
    try:
        try:
            line = map_line(obj, limits.max_depth, _inner)
        except Inexact:
            exact = parse_line(raw, exact=True)[0] if raw else None
            line = map_line(exact if type(exact) is dict else obj, limits.max_depth, _inner, exact_numbers=True)
    except TooDeep:
        return None, f"objects nested deeper than collector.json_max_depth ({limits.max_depth})"
    if len(line.attributes) >= limits.otlp.max_attributes:  # one more may come: the timestamp note
        return None, f"more fields than collector.max_attributes_per_item ({limits.otlp.max_attributes})"
    return line, ""


def convert(body: bytes, ctx: Context, limits: LineLimits) -> tuple[bytes, Report]:
    """Map every line of a body; return the request bytes (b'' when nothing is stored) and the report.

    Raise TooManyItems (the whole request refused) past collector.max_items_per_request lines.
    """
    report = Report()
    builder = LogsBuilder(limits.otlp)
    add, cut, resource_of = builder.add, builder.cut, Resources(ctx.resource, ctx.service).of
    window = limits.otlp.window(Signal.LOGS, ctx.arrival_ns)
    low, high = window
    to = target(ctx.arrival_ns, window, limits.otlp.max_attributes, cut)
    fast = Recent().record
    group = builder.group
    last: list[bytes] = []
    last_scope: str | None = None  # the group of the previous line the fast path mapped (None: none)
    last_service: str | None = None
    arrival = ctx.arrival_ns
    max_items, max_line = limits.otlp.max_items, limits.max_line_bytes
    lines = mapped_lines = 0
    for line_of in split_lines(body, max_line):
        lines += 1
        if lines > max_items:
            raise TooManyItems(
                f"the request holds more than collector.max_items_per_request ({max_items}) lines; send smaller batches"
            )
        number, raw, value, problem, repaired = line_of
        if repaired:
            report.repaired += 1
        if len(raw) > max_line:
            report.rejected += 1
            report.problem(
                number, f"{len(raw)} bytes, more than collector.json_max_line_bytes ({max_line}); not stored"
            )
            continue
        if type(value) is dict:
            try:
                done = fast(value, to)
            except TooDeep:  # an array too deep to render: the mapper says so and stores the line raw
                done = None
            if done is not None:  # mapped, its time kept
                encoded, scope, service, extra = done
                mapped_lines += 1
                if extra or scope != last_scope or service != last_service:  # not the previous line's group
                    last = group(resource_of(service, extra), scope)
                    last_scope, last_service = (None, None) if extra else (scope, service)
                last.append(encoded)
                continue
            line, why = map_object(value, limits, raw)
        else:
            line, why = None, problem or "not an object"
        if line is None:
            record = raw_record(_raw_text(line_of), why, arrival)
            scope, service, extra = "", None, []
            report.raw += 1
            report.problem(number, f"{why}; stored raw")
        else:
            record, scope, service, extra = mapped_record(line, arrival), line.logger, line.service, line.resource
            stamp = record.time_ns or arrival
            if not low <= stamp <= high:
                report.rejected += 1
                report.problem(number, timestamp_problem(Signal.LOGS, limits.otlp, "time", stamp, window))
                continue
            mapped_lines += 1
        add(resource_of(service, extra), scope, encode_record(record, cut))
    report.lines, report.mapped = lines, mapped_lines
    if builder.records != report.mapped + report.raw:  # the answer must never count a line left out
        raise RuntimeError(f"{builder.records} records built for {report.mapped + report.raw} lines")
    otlp = builder.build() if builder.records else b""
    report.truncated = builder.cut.truncated
    return otlp, report
