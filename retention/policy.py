"""The retention policy per signal, read from [retention] settings, and where each archive file goes."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from otelhouse.config import RetentionSettings
from otelhouse.config.validate import parse_service_hot_days
from otelhouse.secrets import Lookup
from storage.queries.archives import Location
from storage.schema import METRIC_KINDS, ROLLING_SUFFIX

SIGNALS = ("logs", "traces", "metrics")
# hot tables per signal with the column their day partitions are cut by
SIGNAL_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "logs": (("otel_logs", "Timestamp"),),
    "traces": (("otel_traces", "Timestamp"),),
    "metrics": tuple((f"otel_metrics_{kind}", "TimeUnix") for kind in METRIC_KINDS),
}
TIME_COLUMN = {table: column for tables in SIGNAL_TABLES.values() for table, column in tables}
# derived tables whose day partitions go when the signal's do (the trace-id index is not archived:
# it is rebuilt from nothing but points at rows, and restored traces are found by time)
COMPANIONS = {"otel_traces": "otel_traces_trace_id_ts"}


def rolling_table(table: str) -> str:
    """Name the table a roll moves `table`'s partitions into while it archives them."""
    return table + ROLLING_SUFFIX


@dataclass(frozen=True)
class ServicePolicy:
    """One service whose rows of a signal stay hot fewer days than the signal's other rows."""

    service: str
    hot_days: int


@dataclass(frozen=True)
class Policy:
    """How one signal's rows are rolled, kept hot, compacted and expired."""

    signal: str
    period: str
    hot_days: int
    archive_days: int
    weekly_after_days: int
    monthly_after_days: int
    timezone: str
    services: tuple[ServicePolicy, ...] = ()

    @property
    def tables(self) -> tuple[tuple[str, str], ...]:
        return SIGNAL_TABLES[self.signal]


def policies(r: RetentionSettings) -> dict[str, Policy]:
    """Build the policy of every signal from the settings."""
    overrides = [parse_service_hot_days(entry) for entry in r.service_hot_days]
    return {
        s: Policy(
            signal=s,
            period=getattr(r, f"{s}_period"),
            hot_days=getattr(r, f"{s}_hot_days"),
            archive_days=getattr(r, f"{s}_archive_days"),
            weekly_after_days=r.compact_weekly_after_days,
            monthly_after_days=r.compact_monthly_after_days,
            timezone=r.timezone,
            services=tuple(ServicePolicy(svc, days) for sig, svc, days in overrides if sig == s),
        )
        for s in SIGNALS
    }


def _no_credentials() -> tuple[str, str]:
    return ("", "")


@dataclass(frozen=True)
class ArchiveRoot:
    """The archive location: a local folder or an S3-compatible bucket prefix, with its credentials."""

    root: str
    # (access key id, secret key) current now: read at each call, so rotated credentials apply at once
    credentials: Callable[[], tuple[str, str]] = field(default=_no_credentials, compare=False)

    @classmethod
    def from_settings(cls, r: RetentionSettings, secrets: Lookup | None = None) -> ArchiveRoot:
        """The root of [retention]; `secrets` gives the S3 credentials current at each call."""
        if not r.archive_url:
            return cls(os.path.abspath(r.archive_dir))
        current = secrets or (lambda key: getattr(r, key.partition(".")[2]))
        return cls(
            r.archive_url.rstrip("/"),
            lambda: (current("retention.s3_access_key_id"), current("retention.s3_secret_access_key")),
        )

    @property
    def is_s3(self) -> bool:
        return self.root.startswith(("http://", "https://"))

    def location(self, url: str) -> Location:
        """Return the Location of a file under this root (with the current credentials for S3)."""
        return Location(url, *self.credentials()) if self.is_s3 else Location(url)

    def part_url(self, table: str, kind: str, start: date, part: int) -> str:
        """Return where part `part` of a table's period is written."""
        return f"{self.root}/{table}/{kind}/{start.isoformat()}/part-{part:04d}.parquet"

    def describe(self) -> str:
        """Say where archives go, without credentials."""
        return f"bucket {self.root}" if self.is_s3 else f"folder {self.root}"
