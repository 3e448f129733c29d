"""Put generated logs into an embedded store, as a separate process (the CLI tests' store is not this one)."""

from __future__ import annotations

import sys
from datetime import date

from otelhouse.config import load_settings
from storage import Store
from tests.retention.data import ingest

if __name__ == "__main__":
    store = Store.open(load_settings())
    try:
        store.migrate()
        ingest(store, "otel_logs", date.fromisoformat(sys.argv[1]), int(sys.argv[2]), days=int(sys.argv[3]))
    finally:
        store.close()
