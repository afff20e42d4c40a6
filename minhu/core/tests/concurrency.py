"""Running the same call in several threads at once against the real database, for the tests that prove a
claim has exactly one winner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import time_machine
from django.db import connection

T = TypeVar("T")


def at_once(call: Callable[[], T], *, threads: int = 2, at: datetime | None = None) -> list[T]:
    """`call()` in `threads` threads released together by a barrier (with the clock frozen at `at` when
    given), each on its own database connection; their results, in finishing order. An exception in any
    thread is raised here."""
    barrier = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            if at is None:
                barrier.wait()
                results.append(call())
            else:
                with time_machine.travel(at, tick=False):
                    barrier.wait()
                    results.append(call())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    return results
