"""Who is acting, from where, in which request: carried in a context variable so that services
and the audit trail can read it without threading it through every call."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(eq=False)
class HttpRequestAudit:
    """The state-changing HTTP request being served, for its ``http.request`` audit event:
    written in the transaction of the request's first audited change (``on_commit``: the callback
    registered there, pending until that transaction commits) and known to be stored once it
    commits (``committed``), so the middleware does not write it again after the response."""

    method: str
    path: str
    view: str = ""
    on_commit: object | None = None
    committed: bool = False


@dataclass(frozen=True)
class RequestContext:
    actor_id: int | None = None
    actor_repr: str = ""
    request_id: str = ""
    client_ip: str | None = None
    channel: str = "system"  # web, api, command, task, system
    http: HttpRequestAudit | None = None  # a state-changing staff or API request being served


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "request_context",
    default=RequestContext(),  # noqa: B039 - a frozen dataclass: immutable, safe to share
)


def current() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def acting(**changes) -> Iterator[RequestContext]:
    """Run a block with (part of) the context replaced, e.g. in a command or a task."""
    ctx = replace(_current.get(), **changes)
    if not ctx.request_id:
        ctx = replace(ctx, request_id=new_request_id())
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_actor(user) -> None:
    """Record the authenticated user once authentication has happened (e.g. DRF token auth)."""
    ctx = _current.get()
    _current.set(replace(ctx, actor_id=user.pk, actor_repr=user.get_username()))
