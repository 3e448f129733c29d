"""Turn a dashboard's SQL into what the ClickHouse datasource sends, as the plugin (4.x) does it.

Three steps, in the plugin's order (src/data/CHDatasource.ts applyTemplateVariables, pkg/macros/macros.go):
1. `$__conditionalAll(condition, $var)` becomes `1=1` when $var is "All" (or empty), else the condition;
2. template variables are replaced by Grafana (`$var`, `${var}`, `${var:format}`); a multi-value variable's
   values become `'a','b'` (the plugin's own formatter), a single value is inserted raw;
3. the backend's macros are expanded with the panel's time range and interval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)|\[\[(\w+)\]\]")
_MACRO = re.compile(r"\$__(\w+)")
PLAIN = ("fromTime", "toTime", "fromTime_ms", "toTime_ms", "interval_s")  # never take arguments


@dataclass(frozen=True)
class Panel:
    """What a panel query knows when it runs: the range in epoch ms and the interval in ms."""

    from_ms: int
    to_ms: int
    interval_ms: int


def macro_args(sql: str, open_at: int) -> tuple[list[str], int]:
    """Split the arguments of the call whose '(' is at open_at at top-level commas; return them and the end."""
    depth, start, args = 0, open_at + 1, []
    for i in range(open_at, len(sql)):
        ch = sql[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:i])
                return args, i + 1
        elif ch == "," and depth == 1:
            args.append(sql[start:i])
            start = i + 1
    raise ValueError(f"unclosed macro call at {open_at}: {sql[open_at : open_at + 40]!r}")


def conditional_all(sql: str, values: dict[str, Sequence[str] | str], everything: frozenset[str]) -> str:
    """Step 1: replace each $__conditionalAll(cond, $var), last first, as the plugin's frontend does.

    `everything` names the variables set to "All" (Grafana's current value `$__all`)."""
    macro = "$__conditionalAll("
    while (at := sql.rfind(macro)) != -1:
        args, end = macro_args(sql, at + len(macro) - 1)
        if len(args) != 2:
            raise ValueError(f"$__conditionalAll takes 2 arguments, got {len(args)}")
        name = re.search(r"(?<=\$\{)\w+(?=\})|(?<=\$)\w+", args[1].strip())
        phrase = args[0]
        if name and (name.group(0) in everything or values.get(name.group(0), "") in ("", [], ())):
            phrase = "1=1"
        sql = sql[:at] + phrase + sql[end:]
    return sql


def _quote(value: str, quote: str, escape: str) -> str:
    return quote + value.replace(quote, escape) + quote


def format_value(value: Sequence[str] | str, fmt: str | None) -> str:
    """Format one variable's value as Grafana's template service does for the given format (None: the plugin's)."""
    many = [value] if isinstance(value, str) else list(value)
    if fmt is None:  # the plugin's formatter: arrays quoted and comma-joined, a single value raw
        return value if isinstance(value, str) else "'" + "','".join(many) + "'"
    formats = {
        "raw": lambda: ",".join(many),
        "csv": lambda: ",".join(many),
        "singlequote": lambda: ",".join(_quote(v, "'", "\\'") for v in many),
        "doublequote": lambda: ",".join(_quote(v, '"', '\\"') for v in many),
        "sqlstring": lambda: ",".join(_quote(v, "'", "''") for v in many),
        "pipe": lambda: "|".join(many),
        # encodeURIComponentStrict: only letters, digits and -_.~ stay as they are (a list becomes {a,b})
        "percentencode": lambda: quote(value if isinstance(value, str) else "{" + ",".join(many) + "}", safe=""),
    }
    if fmt not in formats:
        raise ValueError(f"unsupported variable format {fmt!r}")
    return formats[fmt]()


def template_variables(sql: str, values: dict[str, Sequence[str] | str]) -> str:
    """Step 2: replace the dashboard's variables; names Grafana does not know are left as they are."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3) or m.group(4)
        if name not in values:
            return m.group(0)
        return format_value(values[name], m.group(2))

    return _VARIABLE.sub(one, sql)


def _datetime(ms: int) -> str:
    return f"toDateTime({ms // 1000})"


def _datetime64(ms: int) -> str:
    return f"fromUnixTimestamp64Milli({ms})"


def _date(ms: int) -> str:
    return "toDate('" + datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d") + "')"


def _between(column: str, low: str, high: str) -> str:
    return f"{column} >= {low} AND {column} <= {high}"


def macro(name: str, args: list[str] | None, p: Panel) -> str:
    """Expand one backend macro (pkg/macros/macros.go); args is None for a macro used without parentheses."""
    seconds, milliseconds = max(p.interval_ms // 1000, 1), max(p.interval_ms, 1)
    plain = {
        "fromTime": lambda: _datetime(p.from_ms),
        "toTime": lambda: _datetime(p.to_ms),
        "fromTime_ms": lambda: _datetime64(p.from_ms),
        "toTime_ms": lambda: _datetime64(p.to_ms),
        "interval_s": lambda: str(seconds),
    }
    if args is None:
        if name not in plain:
            raise ValueError(f"unknown macro $__{name}")
        return plain[name]()
    args = [a.strip() for a in args]
    one = {
        "timeFilter": lambda c: _between(c, _datetime(p.from_ms), _datetime(p.to_ms)),
        "timeFilter_ms": lambda c: _between(c, _datetime64(p.from_ms), _datetime64(p.to_ms)),
        "dateFilter": lambda c: _between(c, _date(p.from_ms), _date(p.to_ms)),
        "timeInterval": lambda c: f"toStartOfInterval(toDateTime({c}), INTERVAL {seconds} second)",
        "timeInterval_ms": lambda c: f"toStartOfInterval(toDateTime64({c}, 3), INTERVAL {milliseconds} millisecond)",
        "timeFrom": lambda c: f"{c} >= {_datetime(p.from_ms)}",
        "timeTo": lambda c: f"{c} <= {_datetime(p.to_ms)}",
    }
    if name in one:
        if len(args) != 1:
            raise ValueError(f"$__{name} takes 1 argument, got {len(args)}")
        return one[name](args[0])
    if name in ("dateTimeFilter", "dt"):
        if len(args) != 2:
            raise ValueError(f"$__{name} takes 2 arguments, got {len(args)}")
        date_part = _between(args[0], _date(p.from_ms), _date(p.to_ms))
        return f"({date_part}) AND ({_between(args[1], _datetime(p.from_ms), _datetime(p.to_ms))})"
    raise ValueError(f"unknown macro $__{name}")


def macros(sql: str, p: Panel) -> str:
    """Step 3: expand every $__name and $__name(args) left in the query."""
    out, pos = [], 0
    while m := _MACRO.search(sql, pos):
        out.append(sql[pos : m.start()])
        name, end = m.group(1), m.end()
        if end < len(sql) and sql[end] == "(" and name not in PLAIN:
            args, end = macro_args(sql, end)
            out.append(macro(name, args, p))
        else:
            out.append(macro(name, None, p))
        pos = end
    out.append(sql[pos:])
    return "".join(out)


def render(sql: str, values: dict[str, Sequence[str] | str], p: Panel, everything: frozenset[str] = frozenset()) -> str:
    """Return the SQL the plugin would send to ClickHouse for these variable values and panel.

    A variable set to "All" is named in `everything` and given every option as its value."""
    return macros(template_variables(conditional_all(sql, values, everything), values), p)
