"""Who may do what to an appeal, and doing it: one place for the staff page, its one-tap buttons and the
JSON API. The state rules themselves live in services.py; this module adds the actor's right to act and
reads the action's input (a form's POST or an API body) through the same forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from minhu.accounts.roles import Role
from minhu.appeals.forms import DispatchForm, TransferForm
from minhu.appeals.models import Appeal
from minhu.appeals.routing import candidates_for
from minhu.appeals.services import (
    Conflict,
    appeal_answer_on_spot,
    appeal_dispatch,
    appeal_resolve,
    appeal_respond,
    appeal_return,
    appeal_start,
    appeal_transfer,
)

# Who may dispatch, transfer and answer appeals of their scope (the dispatchers).
DISPATCH_ROLES = {Role.VILLAGE_CADRE, Role.STREET_STAFF, Role.DISTRICT_STAFF}
HANDLER_ACTIONS = ("respond", "start", "resolve", "return")
DISPATCHER_ACTIONS = ("dispatch", "answer")
ACTIONS = (*HANDLER_ACTIONS, *DISPATCHER_ACTIONS, "transfer")


class NotAllowed(PermissionDenied):
    """The actor may not take this action on this appeal (whatever its state)."""


def may_dispatch(user: Any) -> bool:
    return bool(user.is_superuser or user.roles() & DISPATCH_ROLES)


def candidates(appeal: Appeal, user: Any) -> list[Any]:
    """Who the appeal can be sent to (routing.candidates_for) and the acting dispatcher."""
    found = candidates_for(appeal)
    if may_dispatch(user) and all(u.pk != user.pk for u in found):
        found.append(user)
    return found


def may_act(appeal: Appeal, user: Any, action: str) -> bool:
    """The actor's right, not the state's: an action the state refuses is refused by the service."""
    if action in HANDLER_ACTIONS:
        return bool(appeal.handler_id == user.pk)
    if action in DISPATCHER_ACTIONS:
        return may_dispatch(user)
    if action == "transfer":
        return bool(appeal.handler_id == user.pk or may_dispatch(user))
    return False


def _text(data: Mapping[str, Any], name: str, limit: int | None = None) -> str:
    value = data.get(name)
    text = "" if value is None else str(value)
    return text.strip()[:limit] if limit else text


def _form_errors(form: forms.Form) -> ValidationError:
    return ValidationError({name: list(errs) for name, errs in form.errors.items()})


def appeal_act(*, appeal: Appeal, actor: Any, action: str, data: Mapping[str, Any]) -> Appeal:
    """Take `action` on `appeal` as `actor` with the input in `data` (note, result, reason, handler,
    department, to; version: the version the actor saw — acting on a changed appeal is a Conflict).

    Raises NotAllowed, Conflict, or ValidationError naming the field."""
    if action not in ACTIONS or not may_act(appeal, actor, action):
        raise NotAllowed(_("You may not %(action)s this appeal.") % {"action": action})
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


__all__ = ["ACTIONS", "DISPATCH_ROLES", "Conflict", "NotAllowed", "appeal_act", "candidates", "may_dispatch"]
