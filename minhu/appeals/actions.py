"""Taking a named action on an appeal: one entry for the staff page, its one-tap buttons and the JSON API.
It reads the action's input (a form's POST or an API body) through the same forms and calls the service;
who may act and what the state allows are the services' (`minhu.appeals.services.lifecycle`: `may_act`,
`actions_for`), so every caller gets the same answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from minhu.appeals.forms import DispatchForm, TransferForm
from minhu.appeals.models import Appeal
from minhu.appeals.routing import candidates_for
from minhu.appeals.services import (
    ACTIONS,
    DISPATCH_ROLES,
    Conflict,
    NotAllowed,
    actions_for,
    appeal_answer_on_spot,
    appeal_dispatch,
    appeal_resolve,
    appeal_respond,
    appeal_return,
    appeal_start,
    appeal_transfer,
    may_act,
    may_dispatch,
)
from minhu.core.types import Login, Viewer

if TYPE_CHECKING:
    from minhu.accounts.models import User


def candidates(appeal: Appeal, user: Viewer) -> list[User]:
    """Who the appeal can be sent to (routing.candidates_for) and the acting dispatcher."""
    found = candidates_for(appeal)
    if user.is_authenticated and may_dispatch(user) and all(u.pk != user.pk for u in found):
        found.append(user)
    return found


def _text(data: Mapping[str, Any], name: str, limit: int | None = None) -> str:
    value = data.get(name)
    text = "" if value is None else str(value)
    return text.strip()[:limit] if limit else text


def _form_errors(form: forms.Form) -> ValidationError:
    return ValidationError({name: list(errs) for name, errs in form.errors.items()})


def appeal_act(*, appeal: Appeal, actor: Login, action: str, data: Mapping[str, Any]) -> Appeal:
    """Take `action` on `appeal` as `actor` with the input in `data` (note, result, reason, handler,
    department, to; version: the version the actor saw — acting on a changed appeal is a Conflict).

    Raises NotAllowed, Conflict, or ValidationError naming the field."""
    if action not in ACTIONS or not may_act(appeal, actor, action):
        raise NotAllowed(action)
    version = data.get("version")
    if version not in (None, "") and str(version).isdigit() and int(str(version)) != appeal.version:
        raise Conflict()
    if action == "respond":
        return appeal_respond(appeal=appeal, actor=actor, note=_text(data, "note", 500))
    if action == "start":
        return appeal_start(appeal=appeal, actor=actor)
    if action == "resolve":
        return appeal_resolve(appeal=appeal, result=_text(data, "result"), actor=actor)
    if action == "return":
        return appeal_return(appeal=appeal, reason=_text(data, "reason"), actor=actor)
    if action == "answer":
        return appeal_answer_on_spot(appeal=appeal, answer=_text(data, "result"), actor=actor)
    # The forms check that a handler or transferee is one of the candidates.
    bound = {**{k: v for k, v in data.items() if v is not None}, "version": appeal.version}
    if action == "dispatch":
        dispatch = DispatchForm(bound, candidates=candidates(appeal, actor))
        if not dispatch.is_valid():
            raise _form_errors(dispatch)
        return appeal_dispatch(
            appeal=appeal,
            handler=dispatch.cleaned_data["handler"],
            department=dispatch.cleaned_data["department"].strip(),
            actor=actor,
        )
    transfer = TransferForm(bound, candidates=candidates(appeal, actor))
    if not transfer.is_valid():
        raise _form_errors(transfer)
    return appeal_transfer(
        appeal=appeal, to=transfer.cleaned_data["to"], reason=transfer.cleaned_data["reason"], actor=actor
    )


__all__ = [
    "ACTIONS",
    "DISPATCH_ROLES",
    "Conflict",
    "NotAllowed",
    "actions_for",
    "appeal_act",
    "candidates",
    "may_act",
    "may_dispatch",
]
