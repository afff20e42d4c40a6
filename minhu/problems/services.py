"""The only functions that change the problem list. Each writes its events in the same transaction.

A problem belongs to a village or community (the level where the three-party consultation sits); appeals
of that community are merged into it, and when it is solved and struck off (销号) every linked appeal still
being handled is resolved with the same result, and each caller is told once and asked to rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minhu.appeals.models import Appeal, Category
from minhu.appeals.services import appeal_resolve_shared
from minhu.appeals.services.notify import public_url
from minhu.core.services import event_record, notification_send
from minhu.core.types import Actor, Login
from minhu.grid.models import Unit, path_ids
from minhu.problems.models import Problem, ProblemAppeal
from minhu.problems.selectors import can_manage, community_of


def _require(actor: Actor, unit: Unit) -> None:
    if actor is not None and not can_manage(actor, unit):
        raise PermissionDenied


def _locked(problem: Problem) -> Problem:
    return Problem.objects.select_for_update().select_related("unit").get(pk=problem.pk)


def _refresh_counts(problem: Problem) -> None:
    agg = Appeal.objects.filter(problem_link__problem=problem).aggregate(
        n=Count("pk"), first=Min("submitted_at"), last=Max("submitted_at")
    )
    problem.appeal_count = agg["n"]
    problem.first_seen = agg["first"] or problem.created_at
    problem.last_seen = agg["last"] or problem.created_at
    problem.save(update_fields=["appeal_count", "first_seen", "last_seen"])


def _check_text(title: str, description: str) -> tuple[str, str]:
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the problem a short title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("At most 200 characters.")})
    if len(description) > 4000:
        raise ValidationError({"description": _("At most 4000 characters.")})
    return title, description


@transaction.atomic
def problem_create(
    *,
    actor: Login,
    unit: Unit,
    title: str,
    description: str = "",
    category: Category | None = None,
    appeals: Iterable[Appeal] = (),
    source: str = Problem.Source.STAFF,
    idempotency_key: str | None = None,
) -> Problem:
    """Put a problem on the list of the village or community that `unit` lies in (a grid, block or estate
    is lifted to it), optionally merging `appeals` at once. A retry with the same `idempotency_key` returns
    the problem the first call made and changes nothing. Records `problem.create`."""
    if idempotency_key:
        done = Problem.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return done
    community = community_of(unit)
    if community is None:
        raise ValidationError({"unit": _("Choose a village or community, or a unit inside one.")})
    _require(actor, community)
    title, description = _check_text(title, description)
    if source not in Problem.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    ids = path_ids(community.path)
    now = timezone.now()
    problem = Problem.objects.create(
        unit=community,
        district_id=ids[0],
        title=title,
        description=description,
        category=category,
        source=source,
        created_by=actor,
        created_at=now,
        idempotency_key=idempotency_key or None,
        first_seen=now,
        last_seen=now,
    )
    event_record(
        actor=actor,
        verb="problem.create",
        target=problem,
        after={"unit": community.pk, "title": title, "source": source},
    )
    appeals = list(appeals)
    if appeals:
        _merge(problem, actor, appeals)
    return problem


def _merge(problem: Problem, actor: Login, appeals: list[Appeal]) -> int:
    prefix = problem.unit.path
    added: list[int] = []
    for appeal in appeals:
        unit_path = appeal.unit.path if appeal.unit is not None else ""
        if not unit_path.startswith(prefix):
            raise ValidationError(
                {
                    "appeals": _("Appeal %(code)s is not from %(unit)s.")
                    % {"code": appeal.tracking_code, "unit": problem.unit.name}
                }
            )
        link = ProblemAppeal.objects.filter(appeal=appeal).select_related("problem").first()
        if link is not None:
            if link.problem_id == problem.pk:
                continue  # merged already: a retry changes nothing
            raise ValidationError(
                {
                    "appeals": _("Appeal %(code)s is already part of the problem “%(title)s”.")
                    % {"code": appeal.tracking_code, "title": link.problem.title}
                }
            )
        ProblemAppeal.objects.create(problem=problem, appeal=appeal, merged_by=actor)
        event_record(actor=actor, verb="appeal.problem_link", target=appeal, after={"problem": problem.pk})
        added.append(appeal.pk)
    if added:
        _refresh_counts(problem)
        event_record(actor=actor, verb="problem.merge", target=problem, after={"appeals": added})
    return len(added)


@transaction.atomic
def problem_merge(*, problem: Problem, actor: Login, appeals: Iterable[Appeal]) -> int:
    """Merge appeals of the problem's community into it (each appeal into one problem at most; merging one
    already there changes nothing). Returns how many were added. Records `problem.merge`, and on each appeal
    `appeal.problem_link` (its caller's tracking page shows it went onto the problem list)."""
    problem = _locked(problem)
    _require(actor, problem.unit)
    if not problem.is_open:
        raise ValidationError(_("This problem is closed: nothing can be merged into it."), code="closed")
    return _merge(problem, actor, list(appeals))


@transaction.atomic
def problem_unmerge(*, problem: Problem, actor: Actor, appeal: Appeal) -> None:
    """Take an appeal merged by mistake back out (it goes on being handled on its own)."""
    problem = _locked(problem)
    _require(actor, problem.unit)
    if not problem.is_open:
        raise ValidationError(_("This problem is closed: nothing can be merged into it."), code="closed")
    deleted, _rows = ProblemAppeal.objects.filter(problem=problem, appeal=appeal).delete()
    if deleted:
        _refresh_counts(problem)
        event_record(actor=actor, verb="problem.unmerge", target=problem, before={"appeal": appeal.pk})
        event_record(actor=actor, verb="appeal.problem_unlink", target=appeal, before={"problem": problem.pk})


@transaction.atomic
def problem_update(*, problem: Problem, actor: Actor, title: str, description: str) -> Problem:
    problem = _locked(problem)
    _require(actor, problem.unit)
    title, description = _check_text(title, description)
    before = {"title": problem.title, "description": problem.description}
    if before == {"title": title, "description": description}:
        return problem
    problem.title, problem.description = title, description
    problem.save(update_fields=["title", "description"])
    event_record(
        actor=actor,
        verb="problem.update",
        target=problem,
        before=before,
        after={"title": title, "description": description},
    )
    return problem


def _tell_callers(problem: Problem, appeals: list[Appeal]) -> int:
    """One message per caller (a login, or else a phone number), even with several appeals in the problem;
    anonymous callers follow their tracking pages."""
    told: set[str] = set()
    for appeal in appeals:
        if appeal.anonymous:
            continue
        kw: dict[str, Any]
        if appeal.caller_id is not None:
            who, kw = f"user{appeal.caller_id}", {"recipient": appeal.caller}
        elif appeal.caller_phone:
            who = "phone" + "".join(ch for ch in appeal.caller_phone if ch.isdigit())
            kw = {"address": appeal.caller_phone, "channels": ["sms"]}
        else:
            continue
        if who in told:
            continue
        told.add(who)
        track = reverse("appeals:track", args=[appeal.tracking_code])
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Solved: %(title)s") % {"title": problem.title}
            body = _(
                "The problem you raised has been solved: %(resolution)s Please open your appeal %(code)s "
                "to say whether it is solved and how satisfied you are."
            ) % {"resolution": problem.resolution, "code": appeal.tracking_code}
        notification_send(
            kind="problem.solved",
            subject=subject,
            body=body,
            # an SMS is read outside the site: its link is absolute; the inbox keeps it relative
            url=public_url(track) if appeal.caller_id is None else track,
            dedupe_key=f"problem:{problem.pk}:solved:{who}",
            about_path=appeal.unit.path if appeal.unit else "",
            **kw,
        )
    return len(told)


@transaction.atomic
def problem_close(*, problem: Problem, actor: Actor, resolution: str, note: str = "") -> Problem:
    """Strike the problem off (销号): it is solved. Every linked appeal still being handled is resolved with
    `resolution` (the callers confirm and rate on their tracking pages) and each caller is told once.
    Closing a closed problem again changes nothing. Records `problem.close`."""
    problem = _locked(problem)
    _require(actor, problem.unit)
    return _close(problem, actor, resolution, note)


def _close(problem: Problem, actor: Actor, resolution: str, note: str) -> Problem:
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Say how the problem was solved.")})
    if len(resolution) > 4000:
        raise ValidationError({"resolution": _("At most 4000 characters.")})
    if problem.state == Problem.State.SOLVED:
        return problem
    if problem.state != Problem.State.OPEN:
        raise ValidationError(_("This problem was dismissed."), code="dismissed")
    problem.state, problem.resolution, problem.closed_at = Problem.State.SOLVED, resolution, timezone.now()
    problem.save(update_fields=["state", "resolution", "closed_at"])
    appeals = list(
        Appeal.objects.filter(problem_link__problem=problem)
        .select_related("caller", "unit")
        .order_by("submitted_at", "pk")
    )
    resolved = [appeal_resolve_shared(appeal=a, result=resolution, actor=actor) for a in appeals]
    told = _tell_callers(problem, resolved)
    event_record(
        actor=actor,
        verb="problem.close",
        target=problem,
        before={"state": Problem.State.OPEN},
        after={"state": Problem.State.SOLVED, "appeals": len(resolved), "callers_told": told},
        note=note,
    )
    return problem


def close_from_meeting(item: Any, problem: Problem, actor: Actor) -> None:
    """The closer registered with minhu.meetings: closing out (销号) the agenda item about a problem strikes
    the problem off with the meeting's decision and what its actions did, inside the same transaction. The
    meeting's authority suffices (its convener may sit above the problem's community). A problem already
    solved or dismissed is left as it is."""
    problem = _locked(problem)
    if problem.state != Problem.State.OPEN:
        return
    results = [a.result.strip() for a in item.actions.order_by("pk") if a.result.strip()]
    resolution = item.solution.strip()
    if results:
        resolution = f"{resolution}\n" + "\n".join(results)
    _close(problem, actor, resolution[:4000], note=f"{item.meeting.title} #{item.number}")


@transaction.atomic
def problem_dismiss(*, problem: Problem, actor: Actor, reason: str) -> Problem:
    """Take a problem off the list without solving it (a duplicate, or not a shared problem); its appeals
    go on being handled on their own. Records `problem.dismiss` with the reason."""
    problem = _locked(problem)
    _require(actor, problem.unit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    if problem.state != Problem.State.OPEN:
        raise ValidationError(_("This problem is closed already."), code="closed")
    problem.state, problem.closed_at = Problem.State.DISMISSED, timezone.now()
    problem.save(update_fields=["state", "closed_at"])
    event_record(
        actor=actor,
        verb="problem.dismiss",
        target=problem,
        before={"state": Problem.State.OPEN},
        after={"state": Problem.State.DISMISSED},
        note=reason,
    )
    return problem
