"""Who is acting and from where, for the duration of one request or job.

The middleware fills it for web requests; commands and jobs call `bind()`. Services read it when they write
events, so that every event carries the request id and client address without every caller passing them.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_addr: str | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "minhu_request_context",
    default=RequestContext(),  # noqa: B039 -- frozen dataclass, immutable
)


def current() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bind(*, request_id: str | None = None, client_addr: str | None = None) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id or new_request_id(), client_addr=client_addr)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
