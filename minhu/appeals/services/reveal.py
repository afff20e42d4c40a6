"""Revealing an appeal's caller to those who must reach them.

Staff see the caller's phone masked (`138****8000`, docs/security.md). The handler must call the caller back
("已联系来电人" is the first step), and so may the one the appeal is escalated to and the dispatchers of its
scope: for them, revealing the full phone is a deliberate act, recorded as `appeal.caller_reveal` (who and
when, never the phone itself). Everyone else keeps the mask."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal
from minhu.appeals.selectors import appeals_visible_to
from minhu.appeals.services.lifecycle import may_act
from minhu.core.services import event_record
from minhu.core.types import Login, Viewer


def may_reveal_caller(
    appeal: Appeal, user: Viewer, *, in_scope: bool | None = None, dispatcher: bool | None = None
) -> bool:
    """The appeal's handler, the one it is escalated to, or a dispatcher (`may_act(..., "dispatch")`) with
    the appeal in their scope (`appeals_visible_to`; pass `in_scope=True` when the caller already read the
    appeal through it, and `dispatcher=may_dispatch(user)` when it is known, to save the queries). Only for
    an appeal with a phone."""
    if not getattr(user, "is_authenticated", False) or not appeal.caller_phone:
        return False
    if appeal.handler_id is not None and appeal.handler_id == user.pk:
        return True
    if appeal.escalated_to_id is not None and appeal.escalated_to_id == user.pk:
        return True
    if not (may_act(appeal, user, "dispatch") if dispatcher is None else dispatcher):
        return False
    if in_scope is None:
        in_scope = appeals_visible_to(user).filter(pk=appeal.pk).exists()
    return in_scope


@transaction.atomic
def appeal_caller_reveal(*, appeal: Appeal, actor: Login) -> str:
    """The caller's full phone, for someone who may reach them (`may_reveal_caller`); records one
    `appeal.caller_reveal` (the event holds who and when, not the phone). Anyone else: PermissionDenied,
    nothing recorded."""
    if not may_reveal_caller(appeal, actor):
        raise PermissionDenied(_("You may not see this caller's full phone."))
    event_record(actor=actor, verb="appeal.caller_reveal", target=appeal, after={"fields": ["caller_phone"]})
    return appeal.caller_phone
