"""What a decoded request becomes: the storage contract's Payload, plus what the receiver reports back.

Signal, Route and Payload live in storage.payload (storage must not import collector); they are
re-exported here for the receivers.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.payload import OTLP_ROUTES, Payload, Route, Signal

__all__ = ["OTLP_ROUTES", "DecodeResult", "InvalidRequest", "Payload", "Route", "Signal"]


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """A decoded request: what to store, and what was rejected (for OTLP partial success)."""

    payload: Payload | None  # None when no item was accepted
    rejected: int = 0
    message: str = ""  # why items were rejected, and what was repaired (a partial-success warning)
    truncated: int = 0  # attribute values cut to collector.max_attribute_value_length
    repaired: int = 0  # string fields whose invalid UTF-8 was replaced with U+FFFD


class InvalidRequest(ValueError):
    """The request cannot be decoded at all (a permanent error: 400 / INVALID_ARGUMENT).

    The message is shown to the client, so it says what was wrong and where, without internals.
    """
