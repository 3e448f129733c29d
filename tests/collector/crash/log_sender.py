"""A crash-test sender for the log receivers: JSON lines and Loki pushes whose lines carry known ids.

    python -m tests.collector.crash.log_sender SENDER_NO HTTP_URL ACK_FILE STOP_FILE

Requests alternate between POST /v1/logs/json (NDJSON) and the Loki push API (snappy protobuf); each
holds 50 JSON lines with a `seq` field "SENDER-N". As in sender.py, a failed request is not retried
with the same ids; the ids of every acknowledged request (200 with every line stored, or 204) go to
ACK_FILE as "first_seq count" lines.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

import cramjam

from collector.loki.push import PushRequest

LINES = 50


def seq_id(sender: int, seq: int) -> str:
    return f"{sender}-{seq}"


def lines(sender: int, first: int) -> list[bytes]:
    return [
        json.dumps({"level": "info", "msg": "crash", "seq": seq_id(sender, first + i)}).encode() for i in range(LINES)
    ]


def loki_body(sender: int, first: int) -> bytes:
    request = PushRequest()
    stream = request.streams.add(labels=f'{{service_name="crash-loki-{sender}"}}'.encode())
    now = time.time_ns()
    for line in lines(sender, first):
        entry = stream.entries.add(line=line)
        entry.timestamp.seconds, entry.timestamp.nanos = divmod(now, 10**9)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def main() -> None:
    sender, http_url, ack_path, stop_path = sys.argv[1:5]
    number = int(sender)
    seq = 0
    with open(ack_path, "a", buffering=1) as acks:
        while not os.path.exists(stop_path):
            if seq // LINES % 2:
                status, _ = post(
                    f"{http_url}/loki/api/v1/push", loki_body(number, seq), {"Content-Type": "application/x-protobuf"}
                )
                ok = status == 204
            else:
                body = b"\n".join(lines(number, seq))
                headers = {"Content-Type": "application/x-ndjson", "X-Service-Name": f"crash-json-{number}"}
                status, answer = post(f"{http_url}/v1/logs/json", body, headers)
                ok = status == 200 and json.loads(answer)["stored"] == LINES
            if ok:
                acks.write(f"{seq} {LINES}\n")
            else:
                time.sleep(0.05)
            seq += LINES
        acks.write(f"sent {seq}\n")


if __name__ == "__main__":
    main()
