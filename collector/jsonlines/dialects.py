"""The JSON loggers otelhouse knows, told apart by the shape of a whole line (its keys and value types).

A dialect names, for each key that means something (dotted keys reach into nested objects, as
flattened), the slot it fills: the record's time, level, message, logger, trace context, service,
a resource attribute, or an attribute under an OTel semantic-convention name. When several keys of
a line fill one slot, the one listed first wins and the others stay attributes under their own
names. Keys no slot claims become attributes as they are. docs/ingest.md has the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from collector.jsonlines.severity import Scale

TIME, LEVEL, MESSAGE, LOGGER, TRACE_ID, SPAN_ID, FLAGS, SERVICE, INNER, DROP = (
    "time",
    "level",
    "message",
    "logger",
    "trace_id",
    "span_id",
    "flags",
    "service",
    "inner",  # a container runtime's line text, itself maybe a JSON line
    "drop",  # format bookkeeping that says nothing about the event (bunyan's "v", logstash's "@version")
)
ATTR, RESOURCE = "attr:", "res:"  # slot prefixes: an attribute / a resource attribute, by that name
Slots = dict[str, tuple[str, int]]  # key -> (slot, priority: lower wins)


def _slots(*groups: tuple[str, tuple[str, ...]]) -> Slots:
    """Build a key -> (slot, priority) table; within a group, earlier keys win."""
    table: Slots = {}
    for slot, keys in groups:
        for i, key in enumerate(keys):
            table.setdefault(key, (slot, i))
    return table


# What any line may carry whatever wrote it: trace context, service, error and stack conventions.
COMMON = _slots(
    (
        TRACE_ID,
        ("trace_id", "traceId", "traceID", "traceid", "trace.id", "TraceId", "otelTraceID", "dd.trace_id"),
    ),
    (SPAN_ID, ("span_id", "spanId", "spanID", "spanid", "span.id", "SpanId", "otelSpanID", "dd.span_id")),
    (FLAGS, ("trace_flags", "traceFlags", "trace.flags", "TraceFlags", "otelTraceSampled")),
    (SERVICE, ("service.name", "service_name", "serviceName", "service", "otelServiceName", "dd.service")),
    (RESOURCE + "service.version", ("service.version", "dd.version")),
    (RESOURCE + "deployment.environment.name", ("service.environment", "dd.env")),
    (RESOURCE + "host.name", ("host.name", "host.hostname")),
    (ATTR + "exception.type", ("exception.type", "error.type", "err.type", "err.name", "error.kind")),
    (ATTR + "exception.message", ("exception.message", "error.message", "err.message", "error", "err")),
    (
        ATTR + "exception.stacktrace",
        ("exception.stacktrace", "error.stack_trace", "err.stack", "error.stack", "stack_trace", "stacktrace", "stack"),
    ),
)
_CALLER = (ATTR + "code.caller", ("caller",))  # zap, zerolog: "path/file.go:42"


@dataclass(frozen=True)
class Dialect:
    name: str
    scale: Scale
    slots: Mapping[str, tuple[str, int]]
    matches: Callable[[dict], bool]


def dialect(name: str, scale: Scale, matches: Callable[[dict], bool], *groups: tuple[str, tuple[str, ...]]) -> Dialect:
    """A dialect whose own slots come before the common ones."""
    own = _slots(*groups)
    return Dialect(name, scale, {**COMMON, **own}, matches)


def _str(obj: dict, key: str) -> bool:
    return type(obj.get(key)) is str


def _num(obj: dict, key: str) -> bool:
    return type(obj.get(key)) in (int, float)


def _container(o: dict) -> bool:
    return _str(o, "stream") and "time" in o and (_str(o, "log") or _str(o, "message"))


_PINO_ERR = (
    (ATTR + "exception.type", ("err.type", "err.name")),
    (ATTR + "exception.message", ("err.message",)),
    (ATTR + "exception.stacktrace", ("err.stack",)),
)
_NODE_PROCESS = ((LOGGER, ("name",)), (RESOURCE + "host.name", ("hostname",)), (RESOURCE + "process.pid", ("pid",)))
_PYTHON_CODE = (
    (ATTR + "code.function.name", ("funcName", "func_name")),
    (ATTR + "code.file.path", ("pathname",)),
    (ATTR + "code.line.number", ("lineno",)),
    (ATTR + "thread.name", ("threadName", "thread_name")),
    (ATTR + "thread.id", ("thread",)),
)

DIALECTS = (
    # Docker's json-file driver, and CRI lines as Fluent Bit's cri parser and kubernetes filter emit them
    dialect(
        "container",
        Scale.NAMES,
        _container,
        (INNER, ("log", "message")),
        (TIME, ("time",)),
        (ATTR + "log.iostream", ("stream",)),
        (SERVICE, ("kubernetes.labels.app.kubernetes.io/name", "kubernetes.labels.app")),
        (RESOURCE + "k8s.pod.name", ("kubernetes.pod_name",)),
        (RESOURCE + "k8s.namespace.name", ("kubernetes.namespace_name",)),
        (RESOURCE + "k8s.container.name", ("kubernetes.container_name",)),
        (RESOURCE + "k8s.pod.uid", ("kubernetes.pod_id",)),
        (RESOURCE + "k8s.node.name", ("kubernetes.host",)),
        (RESOURCE + "container.image.name", ("kubernetes.container_image",)),
        (RESOURCE + "container.id", ("kubernetes.docker_id",)),
    ),
    dialect(
        "bunyan",
        Scale.PINO,
        lambda o: type(o.get("v")) is int and type(o.get("level")) is int and _str(o, "time") and "msg" in o,
        (TIME, ("time",)),
        (LEVEL, ("level",)),
        (MESSAGE, ("msg",)),
        (DROP, ("v",)),
        *_PINO_ERR,
        *_NODE_PROCESS,
        (ATTR + "code.file.path", ("src.file",)),
        (ATTR + "code.line.number", ("src.line",)),
        (ATTR + "code.function.name", ("src.func",)),
    ),
    dialect(
        "pino",
        Scale.PINO,
        lambda o: type(o.get("time")) is int and (type(o.get("level")) is int or (_str(o, "level") and "msg" in o)),
        (TIME, ("time",)),
        (LEVEL, ("level",)),
        (MESSAGE, ("msg",)),
        *_PINO_ERR,
        *_NODE_PROCESS,
    ),
    dialect(
        "logstash-logback",
        Scale.NAMES,
        lambda o: "@timestamp" in o and ("@version" in o or "level_value" in o or "logger_name" in o),
        (TIME, ("@timestamp",)),
        (LEVEL, ("level",)),
        (MESSAGE, ("message",)),
        (LOGGER, ("logger_name",)),
        (DROP, ("@version", "level_value")),
        (ATTR + "thread.name", ("thread_name",)),
        (RESOURCE + "host.name", ("HOSTNAME",)),
    ),
    dialect(
        "ecs",
        Scale.NAMES,
        lambda o: (
            "@timestamp" in o and ("ecs.version" in o or "ecs" in o or "log.level" in o or type(o.get("log")) is dict)
        ),
        (TIME, ("@timestamp",)),
        (LEVEL, ("log.level",)),
        (MESSAGE, ("message",)),
        (LOGGER, ("log.logger",)),
        (DROP, ("ecs.version",)),
        (ATTR + "thread.name", ("process.thread.name",)),
        (ATTR + "code.file.path", ("log.origin.file.name",)),
        (ATTR + "code.line.number", ("log.origin.file.line",)),
        (ATTR + "code.function.name", ("log.origin.function",)),
    ),
    dialect(
        "log4j2-json",
        Scale.NAMES,
        lambda o: ("instant" in o or "timeMillis" in o) and ("loggerName" in o or "thread" in o),
        (TIME, ("instant", "timeMillis")),
        (LEVEL, ("level",)),
        (MESSAGE, ("message",)),
        (LOGGER, ("loggerName",)),
        (ATTR + "thread.name", ("thread",)),
        (ATTR + "thread.id", ("threadId",)),
        (ATTR + "exception.type", ("thrown.name",)),
        (ATTR + "exception.message", ("thrown.message",)),
        (ATTR + "exception.stacktrace", ("thrown.extendedStackTrace", "thrown.stackTrace")),
    ),
    dialect(
        "zap",
        Scale.NAMES,
        lambda o: "ts" in o and _str(o, "level") and "msg" in o,
        (TIME, ("ts",)),
        (LEVEL, ("level",)),
        (MESSAGE, ("msg",)),
        (LOGGER, ("logger",)),
        (ATTR + "exception.stacktrace", ("errorVerbose", "stacktrace")),
        _CALLER,
    ),
    dialect(
        "zap-development",
        Scale.NAMES,
        lambda o: "T" in o and _str(o, "L") and "M" in o,
        (TIME, ("T",)),
        (LEVEL, ("L",)),
        (MESSAGE, ("M",)),
        (LOGGER, ("N",)),
        (ATTR + "code.caller", ("C",)),
        (ATTR + "exception.stacktrace", ("S",)),
    ),
    # logrus and log/slog: `msg`, a level name (logrus `warning`, slog `WARN+2`), an RFC 3339 time
    dialect(
        "logrus-slog",
        Scale.NAMES,
        lambda o: "msg" in o and _str(o, "level") and ("time" not in o or _str(o, "time")),
        (TIME, ("time",)),
        (LEVEL, ("level",)),
        (MESSAGE, ("msg",)),
        (ATTR + "code.function.name", ("func", "source.function")),
        (ATTR + "code.file.path", ("file", "source.file")),
        (ATTR + "code.line.number", ("source.line",)),
    ),
    # zerolog (`message`, `time`) and winston (`message`, `timestamp`): level names, `error`, `stack`
    dialect(
        "zerolog-winston",
        Scale.NAMES,
        lambda o: "message" in o and _str(o, "level"),
        (TIME, ("time", "timestamp")),
        (LEVEL, ("level",)),
        (MESSAGE, ("message",)),
        _CALLER,
    ),
    dialect(
        "structlog",
        Scale.PYTHON,
        lambda o: _str(o, "event") and ("level" in o or "timestamp" in o or "logger" in o),
        (TIME, ("timestamp",)),
        (LEVEL, ("level",)),
        (MESSAGE, ("event",)),
        (LOGGER, ("logger", "logger_name")),
        (ATTR + "exception.stacktrace", ("exception", "exc_info")),
        *_PYTHON_CODE,
    ),
    # python-json-logger (and the standard library's LogRecord attributes through any JSON formatter)
    dialect(
        "python-logging",
        Scale.PYTHON,
        lambda o: "levelname" in o or "levelno" in o or ("message" in o and ("asctime" in o or "created" in o)),
        (TIME, ("created", "timestamp", "asctime")),
        (LEVEL, ("levelname", "levelno", "level")),
        (MESSAGE, ("message", "msg")),
        (LOGGER, ("name",)),
        (ATTR + "exception.stacktrace", ("exc_info", "exc_text")),
        *_PYTHON_CODE,
        (RESOURCE + "process.pid", ("process",)),
    ),
)

GENERIC = dialect(
    "generic",
    Scale.NAMES,
    lambda o: True,
    (TIME, ("timestamp", "time", "ts", "@timestamp", "datetime", "date", "t")),
    (LEVEL, ("level", "severity", "log.level", "lvl", "loglevel", "levelname", "severity_text", "severityText")),
    (MESSAGE, ("message", "msg", "event", "text", "body", "log")),
    (LOGGER, ("logger", "logger_name", "loggerName")),
)

_CACHE: dict[tuple, Dialect] = {}


def detect(obj: dict, shape: tuple | None = None) -> Dialect:
    """Return the dialect of a parsed line, decided by its keys and their values' types (its shape).

    Every dialect's test reads only keys and top-level value types, so the shape (the key tuple and
    the type tuple, computed by the caller when it has them) decides and the answer is remembered.
    """
    if shape is None:
        shape = (tuple(obj), tuple(map(type, obj.values())))
    found = _CACHE.get(shape)
    if found is None:
        found = next((d for d in DIALECTS if d.matches(obj)), GENERIC)
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[shape] = found
    return found
