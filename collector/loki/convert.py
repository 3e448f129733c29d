"""Turn Loki push streams into an OTLP ExportLogsServiceRequest (pure).

- A stream's labels become its resource attributes; service.name follows Loki 3's rule (labels.py).
- An entry becomes a log record: time = the entry's timestamp, observed = arrival, body = the line,
  attributes = its structured metadata. Severity from a `detected_level`/`level`/`severity`/`lvl`
  in the metadata or, failing that, the labels.
- A line that is a JSON object is mapped like a JSON line (collector/jsonlines): its message is the
  body, its fields attributes; its own time, when it has one, is the record's time and the entry's
  timestamp the observed time. Its service and resource fields stay log attributes: the labels
  decide the resource, as in Loki.
- An entry whose line is longer than collector.json_max_line_bytes, or whose time storage would not
  keep, is rejected (Loki answers 400 for those and stores the rest; so does this receiver).
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.jsonlines.convert import LineLimits, map_object, mapped_record
from collector.jsonlines.lines import parse_line
from collector.jsonlines.severity import Scale, severity
from collector.logwire import Attribute, LogsBuilder, encode_line, encode_record, severity_fields
from collector.loki.labels import stream_resource
from collector.loki.push import Stream
from collector.otlp.limits import TooManyItems, attributes_problem, timestamp_problem
from collector.otlp.model import Signal

LEVEL_KEYS = ("detected_level", "level", "severity", "lvl", "log_level")


@dataclass
class PushReport:
    """What became of a push request's entries."""

    entries: int = 0
    mapped: int = 0  # JSON lines mapped by their dialect
    rejected: int = 0
    first_problem: str = ""
    truncated: int = 0  # strings cut to their collector.max_*_length
    repaired: int = 0  # lines whose invalid UTF-8 was replaced with U+FFFD

    def problem(self, where: str, text: str) -> None:
        self.rejected += 1
        if not self.first_problem:
            self.first_problem = f"{where}: {text}"

    def message(self) -> str:
        """The 400 message when entries were rejected (the others are stored)."""
        plural = "entry was" if self.rejected == 1 else "entries were"
        return f"{self.rejected} of {self.entries} {plural} rejected and not stored; first: {self.first_problem}"


def level_of(pairs: dict[str, str] | list[Attribute]) -> tuple[int, str]:
    """Severity from a level-like label or metadata key; (0, '') when there is none."""
    found = dict(pairs) if type(pairs) is list else pairs
    for key in LEVEL_KEYS:
        value = found.get(key)  # type: ignore[union-attr]
        if value:
            number, text = severity(value, Scale.NAMES)
            return (number, text) if number else (0, str(value))
    return 0, ""


def _mapped(line: bytes | str, limits: LineLimits):
    value, problem, _ = parse_line(line)
    if problem or type(value) is not dict:
        return None
    return map_object(value, limits, line)[0]


def convert_push(streams: list[Stream], limits: LineLimits, arrival_ns: int) -> tuple[bytes, PushReport]:
    """Map every entry; return the request bytes (b'' when nothing is stored) and the report.

    Raise TooManyItems past collector.max_items_per_request entries (the whole request refused).
    """
    report = PushReport(entries=sum(len(s.entries) for s in streams))
    if report.entries > limits.otlp.max_items:
        raise TooManyItems(
            f"the request holds {report.entries} entries, more than collector.max_items_per_request "
            f"({limits.otlp.max_items}); send smaller batches"
        )
    builder = LogsBuilder(limits.otlp)
    low, high = window = limits.otlp.window(Signal.LOGS, arrival_ns)
    max_line = limits.max_line_bytes
    most = limits.otlp.max_attributes
    for stream in streams:
        resource = stream_resource(stream.labels)
        stream_level = level_of(stream.labels)
        stream_severity = severity_fields(*stream_level)
        for j, (ts, line, metadata) in enumerate(stream.entries):
            if len(line) > max_line:
                report.problem(
                    f"{stream.where}.entries[{j}]",
                    f"line of {len(line)} bytes, more than collector.json_max_line_bytes ({max_line})",
                )
                continue
            if not low <= ts <= high:
                report.problem(
                    f"{stream.where}.entries[{j}]", timestamp_problem(Signal.LOGS, limits.otlp, "timestamp", ts, window)
                )
                continue
            first = line[:1]
            mapped = _mapped(line, limits) if first == b"{" or first == "{" else None
            if mapped is None:
                if len(metadata) > most:
                    report.problem(f"{stream.where}.entries[{j}]", attributes_problem(len(metadata), limits.otlp))
                    continue
                own_level = level_of(metadata) if metadata else (0, "")
                sev = severity_fields(*own_level) if own_level[1] else stream_severity
                builder.add(resource, "", encode_line(ts, arrival_ns, sev, line, metadata, builder.cut))
                continue
            own = mapped.time_ns if low <= mapped.time_ns <= high else 0
            extra = [*mapped.resource, *((("service.name", mapped.service),) if mapped.service else ()), *metadata]
            if len(mapped.attributes) + len(extra) > most:
                count = len(mapped.attributes) + len(extra)
                report.problem(f"{stream.where}.entries[{j}]", attributes_problem(count, limits.otlp))
                continue
            record = mapped_record(mapped._replace(time_ns=own or ts), ts if own else arrival_ns, extra)
            report.mapped += 1
            builder.add(resource, mapped.logger, encode_record(record, builder.cut))
    if builder.records != report.entries - report.rejected:  # a 204 must never hide an entry left out
        raise RuntimeError(f"{builder.records} records built for {report.entries - report.rejected} entries")
    otlp = builder.build() if builder.records else b""
    report.truncated, report.repaired = builder.cut.truncated, builder.cut.repaired
    return otlp, report
