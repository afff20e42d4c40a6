"""Who is told of what about an appeal (docs/appeals.md, "Who is told"): the messages of the transitions.

Each function is called by its transition inside the transition's transaction; `notification_send` writes the
rows there and delivery is queued on commit. Every message has a dedupe key naming the appeal, the cycle or
transition and the recipient (`appeal:<id>:<cycle or step>:<what>:<who>`), so a retried action never sends
twice. Each text is built in its recipient's language (`language_of`): a login's own language if the account
has one, else the deployment's default; residents reached only by a phone number get the default (zh-hans).

- the **handler**: on dispatch (a new matter: code, category, place, the response deadline), on transfer to
  them (and the previous handler that it left them), on a reopen;
- the **dispatchers of the unit** (`dispatchers_of`): when a matter waits in their queue because the rules
  chose nobody, when it is returned to the queue, and when it is reopened;
- the **caller**: on acceptance (the tracking code, what happens next, the response deadline once
  dispatched), on a later dispatch (who answers: the unit and the role, never a private name), on resolution
  (a link to rate) and on a reopen. By SMS to the phone given, or WeChat for a matter that came by WeChat, and
  in the inbox when the caller is logged in; outside messages carry absolute links (`public_url`). Anonymous
  callers get nothing: they follow their tracking code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.appeals.models import Appeal, Channel, Urgency
from minhu.appeals.services.escalation import _cycle  # one dispatch: a reopen or redispatch starts another
from minhu.core.models import Notification
from minhu.core.services import notification_send
from minhu.core.types import Actor

# A dispatcher role per level of the grid: the village's cadres, else the street's staff, else the district's.
_DISPATCHERS_BY_LEVEL = (
    ("village", Role.VILLAGE_CADRE),
    ("street", Role.STREET_STAFF),
    ("district", Role.DISTRICT_STAFF),
)
_MAX_DISPATCHERS = 10


def public_url(path: str) -> str:
    """An absolute link for a message read outside the site (SMS, WeChat): `MINHU_PUBLIC_BASE_URL` + path."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def language_of(user: User | None) -> str:
    """The language to write to `user` in: the account's own (`language`, when the account has one and it is
    a supported language), else the deployment's default."""
    chosen = getattr(user, "language", "") if user is not None else ""
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


def dispatchers_of(appeal: Appeal) -> list[Any]:
    """The logins who dispatch the appeal's matters, few and near: the active village or community cadres
    whose scope covers its village, else the street staff of its street, else the district staff (superusers
    are not told: they see everything and dispatch nothing by default)."""
    from minhu.grid.selectors import users_with_scope_over

    for level, role in _DISPATCHERS_BY_LEVEL:
        unit = getattr(appeal, level)
        if unit is None:
            continue
        users = list(
            users_with_scope_over(unit)
            .filter(is_active=True, is_superuser=False, groups__name=role.value)
            .distinct()
            .order_by("pk")[:_MAX_DISPATCHERS]
        )
        if users:
            return users
    return []


def _local(at: Any) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def _place(appeal: Appeal) -> str:
    unit = appeal.village or appeal.street or appeal.unit
    place = unit.name if unit is not None else ""
    return " ".join(p for p in (place, appeal.address) if p) or _("no place given")


def _who_answers(appeal: Appeal) -> str:
    """The unit and the role that answer the appeal, never a private name."""
    if appeal.department:
        return appeal.department
    unit = appeal.village or appeal.street or appeal.district
    where = unit.name if unit is not None else ""
    handler = appeal.handler
    role = ""
    if handler is not None:
        labels = handler.role_labels()
        role = labels[0] if labels else ""
    return " ".join(p for p in (where, role) if p) or _("the dispatchers of your area")


def _urgent(appeal: Appeal) -> bool:
    return bool(appeal.category.urgency == Urgency.EMERGENCY)


def _about(appeal: Appeal) -> str:
    return appeal.unit.path if appeal.unit is not None else ""


def _tell_user(
    appeal: Appeal, user: User, *, kind: str, key: str, text: Callable[[], tuple[str, str]], url: str
) -> None:
    """One in-app message to a login, written in their language."""
    with translation.override(language_of(user)):
        subject, body = text()
    notification_send(
        recipient=user,
        kind=kind,
        subject=subject,
        body=body,
        url=url,
        dedupe_key=f"appeal:{appeal.pk}:{key}:u{user.pk}",
        urgent=_urgent(appeal),
        about_path=_about(appeal),
    )


def _staff_url(appeal: Appeal) -> str:
    return reverse("appeals:detail", args=[appeal.pk])


def _track_path(appeal: Appeal) -> str:
    return reverse("appeals:track", args=[appeal.tracking_code])


def _tell_caller(appeal: Appeal, *, kind: str, key: str, text: Callable[[bool], tuple[str, str]]) -> None:
    """The caller, on every channel they can be reached by: their inbox when logged in (relative link), WeChat
    for a matter that came by WeChat, else an SMS to the phone given (absolute link; `text(True)` builds the
    outside text, which carries the link in its body). Anonymous callers get nothing."""
    if appeal.anonymous:
        return
    track = _track_path(appeal)
    if appeal.caller is not None:
        _tell_user(appeal, appeal.caller, kind=kind, key=key, text=lambda: text(False), url=track)
    if appeal.channel == Channel.WECHAT:
        # The gateway answers the follower who wrote: the phone given, or the message the matter came from.
        channel, address = Notification.Channel.WECHAT, appeal.caller_phone or appeal.idempotency_key or ""
    elif appeal.caller_phone:
        channel, address = Notification.Channel.SMS, appeal.caller_phone
    else:
        return
    if not address:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = text(True)
    notification_send(
        address=address,
        channels=[channel],
        kind=kind,
        subject=subject,
        body=body,
        url=public_url(track),
        payload={"tracking_code": appeal.tracking_code},
        dedupe_key=f"appeal:{appeal.pk}:{key}:caller",
        urgent=_urgent(appeal),
        about_path=_about(appeal),
    )


def _link(outside: bool, appeal: Appeal) -> str:
    return f" {public_url(_track_path(appeal))}" if outside else ""


# --- the transitions --------------------------------------------------------------------------------------


def appeal_accepted(appeal: Appeal) -> None:
    """After intake (a new matter, not a repeat): the caller is told its code and what happens next (with the
    response deadline when the rules dispatched it at once); when nobody was chosen, the dispatchers are told
    that it waits in their queue."""

    def caller_text(outside: bool) -> tuple[str, str]:
        subject = _("Received: your matter %(code)s") % {"code": appeal.tracking_code}
        if appeal.dispatched_at is not None:
            body = _(
                "We have received your matter %(code)s (%(category)s). %(who)s will contact you by %(due)s."
            ) % {
                "code": appeal.tracking_code,
                "category": appeal.category.name,
                "who": _who_answers(appeal),
                "due": _local(appeal.response_due_at),
            }
        else:
            body = _(
                "We have received your matter %(code)s (%(category)s). It is being passed to whoever answers "
                "for your area; you will be told who answers and by when."
            ) % {"code": appeal.tracking_code, "category": appeal.category.name}
        body += " " + _("Follow it with the code %(code)s.") % {"code": appeal.tracking_code}
        return subject, body + _link(outside, appeal)

    _tell_caller(appeal, kind="appeal.accepted", key="accepted", text=caller_text)
    if appeal.dispatched_at is None:
        _tell_dispatchers(appeal, why="queued", key="queued")


def _tell_dispatchers(appeal: Appeal, *, why: str, key: str, exclude: User | None = None) -> None:
    def text() -> tuple[str, str]:
        values = {
            "code": appeal.tracking_code,
            "category": appeal.category.name,
            "place": _place(appeal),
        }
        if why == "queued":
            subject = _("Waiting to be dispatched: %(code)s %(category)s") % values
        elif why == "returned":
            subject = _("Returned to your queue: %(code)s %(category)s") % values
        else:
            subject = _("Reopened, the caller is not satisfied: %(code)s %(category)s") % values
        return subject, _("%(place)s: %(description)s") % {
            "place": values["place"],
            "description": appeal.description[:200],
        }

    for user in dispatchers_of(appeal):
        if exclude is not None and user.pk == exclude.pk:
            continue
        _tell_user(appeal, user, kind=f"appeal.{why}", key=key, text=text, url=_staff_url(appeal))


def _tell_handler_new(appeal: Appeal, handler: User, *, key: str, transferred: bool) -> None:
    def text() -> tuple[str, str]:
        values = {
            "code": appeal.tracking_code,
            "category": appeal.category.name,
            "place": _place(appeal),
            "due": _local(appeal.response_due_at),
        }
        if transferred:
            subject = _("Transferred to you: %(code)s %(category)s") % values
        else:
            subject = _("New matter for you: %(code)s %(category)s") % values
        body = _("%(place)s. Contact the caller by %(due)s.") % values
        return subject, f"{body}\n{appeal.description[:200]}"

    _tell_user(appeal, handler, kind="appeal.assigned", key=key, text=text, url=_staff_url(appeal))


def appeal_dispatched(appeal: Appeal) -> None:
    """After a dispatch (the rules' or a dispatcher's): the handler is told of the new matter."""
    if appeal.handler is not None:
        _tell_handler_new(appeal, appeal.handler, key=f"{_cycle(appeal)}:dispatched", transferred=False)


def appeal_dispatched_caller(appeal: Appeal) -> None:
    """After a dispatcher's dispatch: the caller is told who (unit and role) answers, and by when. The
    intake's own dispatch says so in its acceptance message instead."""

    def caller_text(outside: bool) -> tuple[str, str]:
        values = {
            "code": appeal.tracking_code,
            "who": _who_answers(appeal),
            "due": _local(appeal.response_due_at),
        }
        subject = _("%(code)s: who answers your matter") % values
        body = _("Your matter %(code)s is with %(who)s, who will contact you by %(due)s.") % values
        return subject, body + _link(outside, appeal)

    _tell_caller(appeal, kind="appeal.dispatched", key=f"{_cycle(appeal)}:dispatched", text=caller_text)


def appeal_transferred(appeal: Appeal, *, previous: User | None) -> None:
    """After a transfer: the new handler is told of the matter, the previous one that it left them."""
    step = f"transfer{appeal.transfer_count}"
    if appeal.handler is not None:
        _tell_handler_new(appeal, appeal.handler, key=step, transferred=True)
    if previous is not None and (appeal.handler is None or previous.pk != appeal.handler.pk):
        new = appeal.handler

        def text() -> tuple[str, str]:
            values = {
                "code": appeal.tracking_code,
                "name": str(new) if new is not None else appeal.department,
            }
            return _("%(code)s was transferred to %(name)s") % values, _("It is no longer yours to handle.")

        _tell_user(appeal, previous, kind="appeal.transferred", key=step, text=text, url=_staff_url(appeal))


def appeal_returned(appeal: Appeal, *, actor: Actor) -> None:
    """After a return to the queue: the dispatchers of the unit are told (not the one who returned it)."""
    _tell_dispatchers(appeal, why="returned", key=f"return{appeal.return_count}", exclude=actor)


def appeal_resolved(appeal: Appeal) -> None:
    """After the handler resolved it: the caller is asked to confirm and rate, with the link to do it."""

    def caller_text(outside: bool) -> tuple[str, str]:
        values = {"code": appeal.tracking_code, "result": appeal.result[:300]}
        subject = _("Resolved: your matter %(code)s") % values
        body = (
            _(
                "Your matter %(code)s has been resolved: %(result)s Please say whether it is solved and how "
                "satisfied you are."
            )
            % values
        )
        return subject, body + _link(outside, appeal)

    _tell_caller(appeal, kind="appeal.resolved", key=f"{_cycle(appeal)}:resolved", text=caller_text)


def appeal_reopened(appeal: Appeal) -> None:
    """After a "not satisfied" verdict reopened it: the handler, the dispatchers and the caller are told."""
    step = f"reopen{appeal.reopen_count}"

    if appeal.handler is not None:

        def text() -> tuple[str, str]:
            values = {"code": appeal.tracking_code, "due": _local(appeal.response_due_at)}
            return (
                _("Reopened, the caller is not satisfied: %(code)s %(category)s")
                % {"code": appeal.tracking_code, "category": appeal.category.name},
                _("Contact the caller again by %(due)s.") % values
                + (f"\n{appeal.rating_comment}" if appeal.rating_comment else ""),
            )

        url = _staff_url(appeal)
        _tell_user(appeal, appeal.handler, kind="appeal.reopened", key=step, text=text, url=url)
    _tell_dispatchers(appeal, why="reopened", key=step, exclude=appeal.handler)

    def caller_text(outside: bool) -> tuple[str, str]:
        values = {
            "code": appeal.tracking_code,
            "who": _who_answers(appeal),
            "due": _local(appeal.response_due_at),
        }
        subject = _("Reopened: your matter %(code)s") % values
        body = (
            _("Your matter %(code)s is being handled again by %(who)s, who will contact you by %(due)s.")
            % values
        )
        return subject, body + _link(outside, appeal)

    _tell_caller(appeal, kind="appeal.reopened", key=step, text=caller_text)


__all__ = [
    "appeal_accepted",
    "appeal_dispatched",
    "appeal_dispatched_caller",
    "appeal_reopened",
    "appeal_resolved",
    "appeal_returned",
    "appeal_transferred",
    "dispatchers_of",
    "language_of",
    "public_url",
]
