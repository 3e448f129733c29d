"""The collector's bulk-work threads at a lower CPU priority than the event loop (collector/priority.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from collector.priority import lower_this_thread, supported

pytestmark = pytest.mark.skipif(not supported(), reason="nice per thread is Linux's")


def nice_of(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def test_a_thread_lowers_itself_and_never_raises_itself_back() -> None:
    seen: list[int] = []

    def work() -> None:
        lower_this_thread(7)
        lower_this_thread(3)  # already lower than that: left alone (raising it back needs privileges)
        seen.append(nice_of(threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [7]
    assert nice_of(threading.get_native_id()) == 0  # the calling thread only


# In a process of its own: grpc's server starts C-core threads (not Python's), which the sweep
# lowers, while the main thread and a Python thread keep their priority.
SWEEP = """
import json, os, threading
import grpc
from concurrent.futures import ThreadPoolExecutor
from collector.priority import lower_native_threads
server = grpc.server(ThreadPoolExecutor(1))
server.add_insecure_port("127.0.0.1:0")
server.start()
idle = threading.Event()
python_thread = threading.Thread(target=idle.wait)
python_thread.start()
python = {t.native_id for t in threading.enumerate()}
changed = lower_native_threads(9)
nices = {int(t): os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir("/proc/self/task")}
print(json.dumps([changed, [nices[t] for t in nices if t not in python], [nices[t] for t in python if t in nices]]))
idle.set()
server.stop(None)
"""


def test_the_sweep_lowers_the_threads_python_did_not_start() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", SWEEP], capture_output=True, text=True, env=env, timeout=60, check=True)
    changed, native, python = json.loads(out.stdout)
    assert changed > 0 and set(native) == {9}
    assert set(python) == {0}
