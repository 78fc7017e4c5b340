"""Measuring what one piece of work costs: seconds, and how far the process's memory grew.

Bounds, not speed targets: a hostile file must not cost a worker gigabytes or minutes, and a
generous bound shows that without depending on the machine's speed.
"""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path

MIB = 1024 * 1024
STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(name: str) -> int:
    return int(re.search(rf"{name}:\s+(\d+) kB", STATUS.read_text()).group(1))


def _can_reset_peak() -> bool:
    try:
        CLEAR_REFS.write_text("5")  # Linux: the resident peak (VmHWM) starts again from now
    except OSError:
        return False
    return True


def cost(run) -> tuple[float, int]:
    """CPU seconds `run()` took (its own work, however busy the machine is) and the bytes by
    which the process's resident memory peaked above where it started (Linux), or else the peak
    of Python's allocations (tracemalloc, slower)."""
    if _can_reset_peak():
        before = _status_kib("VmRSS")
        started = time.process_time()
        run()
        seconds = time.process_time() - started
        return seconds, (_status_kib("VmHWM") - before) * 1024
    started = time.process_time()
    run()
    seconds = time.process_time() - started
    tracemalloc.start()
    try:
        run()
        return seconds, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
