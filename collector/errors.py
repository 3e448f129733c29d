"""Ingest errors typed by what the client should do, and the one table mapping them to status codes."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from collector.otlp.model import InvalidRequest
from collector.pipeline import Refused, Rejected


class TooLarge(Exception):
    """The body, or the body after decompression, is over a configured limit."""


class UnsupportedMediaType(Exception):
    """The Content-Type or Content-Encoding is not one OTLP/HTTP accepts."""


class Unauthenticated(Exception):
    """The ingest key is missing or wrong."""


class ClientEvent(Exception):
    """The client left or stalled (disconnect, reset, too slow): counted by reason, never a server error."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    http_status: int
    grpc_code: grpc.StatusCode
    retry_after: int | None = None


def outcome_for(exc: Exception) -> Outcome | None:
    """Map an ingest error to HTTP and gRPC status; None for an unexpected error (a bug)."""
    if isinstance(exc, (InvalidRequest, Rejected)):
        return Outcome(400, grpc.StatusCode.INVALID_ARGUMENT)
    if isinstance(exc, TooLarge):
        return Outcome(413, grpc.StatusCode.RESOURCE_EXHAUSTED)
    if isinstance(exc, UnsupportedMediaType):
        return Outcome(415, grpc.StatusCode.INVALID_ARGUMENT)
    if isinstance(exc, Unauthenticated):
        return Outcome(401, grpc.StatusCode.UNAUTHENTICATED)
    if isinstance(exc, ClientEvent):
        return Outcome(408, grpc.StatusCode.DEADLINE_EXCEEDED)
    if isinstance(exc, Refused):
        if exc.overloaded:
            return Outcome(429, grpc.StatusCode.RESOURCE_EXHAUSTED, exc.retry_after)
        return Outcome(503, grpc.StatusCode.UNAVAILABLE, exc.retry_after)
    return None
