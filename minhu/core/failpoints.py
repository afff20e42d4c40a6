"""Fault injection for the crash tests: `hit(name)` does nothing unless MINHU_FAILPOINT names this point.

`MINHU_FAILPOINT=<name>:<seconds>` makes the process write the file named by MINHU_FAILPOINT_MARK (if set)
and sleep there, so that a test can kill it at exactly that point (tests/test_worker_crash.py). The variable
is read on every call, costs one dictionary lookup when unset, and is never set in production.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def hit(name: str) -> None:
    spec = os.environ.get("MINHU_FAILPOINT")
    if not spec:
        return
    point, _, seconds = spec.partition(":")
    if point != name:
        return
    mark = os.environ.get("MINHU_FAILPOINT_MARK")
    if mark:
        Path(mark).write_text(name, encoding="utf-8")
    time.sleep(float(seconds or "60"))
