"""CPU per request of the traces insert by batch size: what coalescing requests into larger inserts buys.

Writes the same 100-span requests (fresh ids, decoded by the collector's decoder) into a fresh chDB
through storage's writer, in inserts of N requests each, and reports the process's CPU time (the
insert's threads and the background merges together, both run in this process) per request, then
what the merges used in the seconds after. The sizes alternate, so a change of the machine's load
hits them alike:

    python bench/insert_batch.py                              # 100, 300 and 600 requests per insert
    python bench/insert_batch.py --sizes 100 500 --rounds 3 --set materialize_skip_indexes_on_insert=1
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the tree this file is in
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import clickhouse_connect

import storage.writer
from bench.ingest import say
from bench.workload import fresh_bodies
from collector.app import EMBEDDED_INSERT_THREADS
from collector.otlp.decode import decode_protobuf
from collector.otlp.model import Signal
from storage.connect import ENGINE_MALLOC_CONF
from storage.migrate import apply_migrations
from storage.schema import SchemaOptions


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def measure(per_insert: int, requests: int, settle_s: float) -> tuple[float, float, int]:
    """Insert `requests` requests in inserts of `per_insert`; return CPU ms per request (during, after) and parts."""
    work = tempfile.mkdtemp(prefix="otelhouse-insert-batch-")
    try:
        client = clickhouse_connect.get_client(interface="chdb", path=work)
        opts = SchemaOptions(database="b", fsync_parts=False)
        client.command("CREATE DATABASE IF NOT EXISTS b")
        apply_migrations(client, opts)
        templates = fresh_bodies("traces", 100, 8, 7)
        payloads = [decode_protobuf(Signal.TRACES, templates[i % 8][0]()).payload for i in range(requests)]
        time.sleep(1)  # start-up merges of the empty tables
        started = cpu_seconds()
        for k in range(0, requests, per_insert):
            storage.writer.write_payloads(
                client, opts, payloads[k : k + per_insert], f"t{k}", max_threads=EMBEDDED_INSERT_THREADS
            )
        during = cpu_seconds()
        time.sleep(settle_s)
        after = cpu_seconds()
        active = "SELECT count() FROM system.parts WHERE database = 'b' AND table = 'otel_traces' AND active"
        parts = client.query(active).result_rows[0][0]
        return (during - started) * 1000 / requests, (after - during) * 1000 / requests, parts
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 600], help="requests per insert")
    parser.add_argument("--requests", type=int, default=6000, help="requests of 100 spans per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--settle", type=float, default=6.0, help="seconds of merges counted after the inserts")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="an insert setting")
    args = parser.parse_args()
    os.environ.setdefault("JE_MALLOC_CONF", ENGINE_MALLOC_CONF)
    extra = dict(kv.split("=", 1) for kv in args.set)
    if extra:
        plain = storage.writer.native_settings
        storage.writer.native_settings = lambda *a, **k: plain(*a, **k) | extra
    for _ in range(args.rounds):
        for size in args.sizes:
            load = os.getloadavg()[0]
            during, after, parts = measure(size, args.requests, args.settle)
            say(
                f"{size:4} requests ({size * 100:,} spans) per insert: {during:.3f} ms CPU per request while "
                f"inserting, {after:.3f} ms in the {args.settle:g} s after; {parts} parts (load average {load:.1f})"
            )


if __name__ == "__main__":
    main()
