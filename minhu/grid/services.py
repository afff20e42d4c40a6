"""The only functions that write the grid's data. Each validates, runs in one transaction and records one
event in it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from minhu.core.services import event_record
from minhu.core.tabular import ImportResult, Mode, run_import
from minhu.core.types import Actor, Login
from minhu.grid.models import (
    Cadre,
    Household,
    PartyMember,
    Person,
    Post,
    Responsibility,
    ScopeGrant,
    Term,
    Unit,
    path_segment,
)

if TYPE_CHECKING:
    from minhu.accounts.models import User

# Which kinds may sit under which: the tree's shape.
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    Unit.Kind.DISTRICT: (None,),
    Unit.Kind.STREET: (Unit.Kind.DISTRICT,),
    Unit.Kind.VILLAGE: (Unit.Kind.STREET,),
    Unit.Kind.COMMUNITY: (Unit.Kind.STREET,),
    Unit.Kind.ESTATE: (Unit.Kind.COMMUNITY, Unit.Kind.STREET),
    Unit.Kind.AREA: (Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY, Unit.Kind.ESTATE),
    Unit.Kind.BLOCK: (Unit.Kind.AREA,),
}


def _check_parent(kind: str, parent: Unit | None) -> None:
    allowed = ALLOWED_PARENTS[kind]
    if (parent.kind if parent else None) not in allowed:
        raise ValidationError(
            {"parent": _("A %(kind)s cannot sit under this parent.") % {"kind": Unit.Kind(kind).label}}
        )


def district_of(unit: Unit) -> int:
    # Every unit saved by unit_create has its district; None would be a unit written around the services.
    if unit.district_id is None:
        raise ValidationError({"unit": _("This unit is not in the tree yet.")})
    return unit.district_id


@transaction.atomic
def unit_create(
    *,
    kind: str,
    name: str,
    code: str,
    parent: Unit | None,
    actor: Actor,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    polygon: str = "",
    under_rectification: bool = False,
) -> Unit:
    """Add a unit under `parent` (None only for a district). Its path is the parent's plus its own id, its
    district the parent's (itself for a district). Records `unit.create`."""
    _check_parent(kind, parent)
    unit = Unit(
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        latitude=latitude,
        longitude=longitude,
        polygon=polygon,
        under_rectification=under_rectification,
    )
    unit.full_clean()
    unit.save()
    unit.path = (parent.path if parent else "") + path_segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    unit.district_id = parent.district_id if parent else unit.pk
    unit.save(update_fields=["path", "depth", "district"])
    event_record(
        actor=actor,
        verb="unit.create",
        target=unit,
        after={"kind": kind, "name": name, "code": code, "parent": parent.pk if parent else None},
    )
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, parent: Unit, actor: Actor) -> Unit:
    """Move `unit` and its whole subtree under `parent`.

    Refuses a move under the unit itself or one of its descendants (a cycle) and a parent of the wrong
    kind. Rewrites the paths and depths of the subtree in one UPDATE, and the district of the subtree and of
    its households, people and responsibilities when the move crosses districts. Records `unit.move`.
    """
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    parent = Unit.objects.select_for_update().get(pk=parent.pk)
    if parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot move under itself or its own descendants.")})
    _check_parent(unit.kind, parent)
    before = {"parent": unit.parent_id, "path": unit.path}
    old_path, new_path = unit.path, parent.path + path_segment(unit.pk)
    depth_delta = parent.depth + 1 - unit.depth
    subtree = Unit.objects.subtree(old_path)
    ids = list(subtree.values_list("pk", flat=True))
    subtree.update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=parent)
    if parent.district_id != unit.district_id:
        district = parent.district_id
        Unit.objects.filter(pk__in=ids).update(district=district)
        Household.objects.filter(unit_id__in=ids).update(district=district)
        Person.objects.filter(household__unit_id__in=ids).update(district=district)
        Responsibility.objects.filter(unit_id__in=ids).update(district=district)
    unit.refresh_from_db()
    event_record(
        actor=actor,
        verb="unit.move",
        target=unit,
        before=before,
        after={"parent": parent.pk, "path": unit.path, "units": len(ids)},
    )
    return unit


@transaction.atomic
def household_create(*, unit: Unit, number: str, actor: Actor, address: str = "") -> Household:
    """Add a household to `unit`; the door number is unique in the unit. Records `household.create`."""
    household = Household(unit=unit, district_id=district_of(unit), number=number, address=address)
    household.full_clean()
    household.save()
    event_record(
        actor=actor, verb="household.create", target=household, after={"unit": unit.pk, "number": number}
    )
    return household


@transaction.atomic
def person_create(
    *,
    name: str,
    actor: Actor,
    household: Household | None = None,
    is_head: bool = False,
    gender: str = "",
    birth_date: date | None = None,
    phone: str = "",
    id_number: str = "",
    user: User | None = None,
    elderly_alone: bool = False,
    disability: bool = False,
    low_income: bool = False,
    special_population: bool = False,
) -> Person:
    """Record a person, in a household or not. The event holds no personal data beyond the name (PIPL:
    the audit trail must not become a second copy of the register). Records `person.create`."""
    person = Person(
        name=name,
        household=household,
        is_head=is_head,
        gender=gender,
        birth_date=birth_date,
        phone=phone,
        id_number=id_number,
        user=user,
        district_id=household.district_id if household else None,
        elderly_alone=elderly_alone,
        disability=disability,
        low_income=low_income,
        special_population=special_population,
    )
    person.full_clean()
    person.save()
    event_record(
        actor=actor,
        verb="person.create",
        target=person,
        after={"household": household.pk if household else None, "is_head": is_head},
    )
    return person


@transaction.atomic
def person_link_user(*, person: Person, user: User, actor: Actor) -> Person:
    """Link a login to a person (a resident then sees their own household). Records `person.link_user`."""
    before = {"user": person.user_id}
    person.user = user
    person.full_clean()
    person.save(update_fields=["user"])
    event_record(actor=actor, verb="person.link_user", target=person, before=before, after={"user": user.pk})
    return person


@transaction.atomic
def person_reveal(*, person: Person, actor: Login) -> dict[str, Any]:
    """The person's full phone, ID number and sensitive categories, for a login allowed to see them (a
    cadre of a unit above the person, within scope). Every reveal is recorded (`person.reveal`); a refused
    reveal raises PermissionDenied and records nothing."""
    from minhu.grid.selectors import can_reveal

    if not can_reveal(actor, person):
        raise PermissionDenied
    event_record(actor=actor, verb="person.reveal", target=person, after={"fields": ["phone", "id_number"]})
    return {
        "phone": person.phone,
        "id_number": person.id_number,
        "sensitive": person.sensitive_labels(),
    }


@transaction.atomic
def party_member_set(
    *,
    person: Person,
    actor: Actor,
    party_group: str = "",
    centre_household: bool = False,
    status: str = PartyMember.Status.WORKING,
    registered_unit: Unit | None = None,
    registered_on: date | None = None,
    show_identity: bool = True,
) -> PartyMember:
    """Create or update a person's party-member record. Records `party_member.set` with before and after."""
    member = PartyMember.objects.select_for_update().filter(person=person).first()
    fields = [
        "party_group",
        "centre_household",
        "status",
        "registered_unit_id",
        "registered_on",
        "show_identity",
    ]
    before = {f: getattr(member, f) for f in fields} if member else {}
    member = member or PartyMember(person=person)
    member.party_group, member.centre_household, member.status = party_group, centre_household, status
    member.registered_unit, member.registered_on = registered_unit, registered_on
    member.show_identity = show_identity
    member.full_clean()
    member.save()
    after = {f: getattr(member, f) for f in fields}
    if before != after:
        event_record(actor=actor, verb="party_member.set", target=member, before=before, after=after)
    return member


@transaction.atomic
def responsibility_assign(
    *,
    unit: Unit,
    role: str,
    actor: Actor,
    person: Person | None = None,
    user: User | None = None,
    department: str = "",
    household: Household | None = None,
    start: date | None = None,
) -> Responsibility:
    """Make someone answer for a unit (or, for 包户, a household of it) from `start` (today by default).

    A 包户 assignment is stored on the household's unit so that the chain and coverage find it with the
    unit's. Records `responsibility.assign`.
    """
    if household is not None:
        unit = household.unit
    resp = Responsibility(
        unit=unit,
        household=household,
        role=role,
        person=person,
        user=user,
        department=department,
        start=start or timezone.localdate(),
        district_id=district_of(unit),
    )
    resp.full_clean()
    resp.save()
    event_record(
        actor=actor,
        verb="responsibility.assign",
        target=resp,
        after={
            "unit": unit.pk,
            "household": household.pk if household else None,
            "role": role,
            "person": person.pk if person else None,
            "user": user.pk if user else None,
            "department": department,
            "start": resp.start,
        },
    )
    return resp


@transaction.atomic
def responsibility_end(
    *, responsibility: Responsibility, actor: Actor, end: date | None = None
) -> Responsibility:
    """End an assignment on `end` (today by default). History is kept: the row stays with its end date.
    Ending one already ended is refused. Records `responsibility.end`."""
    resp = Responsibility.objects.select_for_update().get(pk=responsibility.pk)
    if resp.end is not None:
        raise ValidationError({"end": _("This responsibility has already ended.")})
    resp.end = end or timezone.localdate()
    resp.full_clean()
    resp.save(update_fields=["end"])
    event_record(
        actor=actor, verb="responsibility.end", target=resp, before={"end": None}, after={"end": resp.end}
    )
    return resp


@transaction.atomic
def post_create(*, user: User, unit: Unit, title: str, actor: Actor, start: date | None = None) -> Post:
    """Give a login an office in a unit (and so the unit's subtree as scope). Records `post.create`."""
    post = Post(user=user, unit=unit, title=title, start=start or timezone.localdate())
    post.full_clean()
    post.save()
    event_record(
        actor=actor, verb="post.create", target=post, after={"user": user.pk, "unit": unit.pk, "title": title}
    )
    return post


@transaction.atomic
def post_end(*, post: Post, actor: Actor, end: date | None = None) -> Post:
    """End an office; the row is kept. Records `post.end`."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.end is not None:
        raise ValidationError({"end": _("This post has already ended.")})
    post.end = end or timezone.localdate()
    post.full_clean()
    post.save(update_fields=["end"])
    event_record(actor=actor, verb="post.end", target=post, before={"end": None}, after={"end": post.end})
    return post


@transaction.atomic
def scope_grant_create(
    *, user: User, unit: Unit, reason: str, actor: Actor, until: date | None = None
) -> ScopeGrant:
    """Grant a login a unit's subtree explicitly, with a reason. Records `scope_grant.create`."""
    grant = ScopeGrant(user=user, unit=unit, reason=reason, until=until)
    grant.full_clean()
    grant.save()
    event_record(
        actor=actor,
        verb="scope_grant.create",
        target=grant,
        after={"user": user.pk, "unit": unit.pk, "reason": reason, "until": until},
    )
    return grant


@transaction.atomic
def term_create(
    *, unit: Unit, start_year: int, end_year: int, actor: Actor, dispatched_secretary: bool = False
) -> Term:
    """Open a term of a village's or community's two committees. Records `term.create`."""
    if unit.kind not in (Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY):
        raise ValidationError({"unit": _("Terms belong to villages and communities.")})
    term = Term(
        unit=unit, start_year=start_year, end_year=end_year, dispatched_secretary=dispatched_secretary
    )
    term.full_clean()
    term.save()
    event_record(
        actor=actor,
        verb="term.create",
        target=term,
        after={
            "unit": unit.pk,
            "years": [start_year, end_year],
            "dispatched_secretary": dispatched_secretary,
        },
    )
    return term


@transaction.atomic
def cadre_add(
    *,
    term: Term,
    name: str,
    birth_date: date,
    education: str,
    actor: Actor,
    is_secretary: bool = False,
    is_director: bool = False,
    dispatched: bool = False,
    posts: str = "",
    person: Person | None = None,
) -> Cadre:
    """Add a committee member to a term; one secretary per term. Records `cadre.add`."""
    cadre = Cadre(
        term=term,
        person=person,
        name=name,
        birth_date=birth_date,
        education=education,
        is_secretary=is_secretary,
        is_director=is_director,
        dispatched=dispatched,
        posts=posts,
    )
    cadre.full_clean()
    cadre.save()
    event_record(
        actor=actor,
        verb="cadre.add",
        target=cadre,
        after={"term": term.pk, "secretary": is_secretary, "director": is_director, "dispatched": dispatched},
    )
    return cadre


def grid_import(
    *,
    kind: str,
    f: IO[bytes],
    filename: str,
    mode: Mode,
    actor: Login,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a list (units, households, people, party members, responsibilities, cadres) from .csv or
    .xlsx, every reference resolved within the actor's scope. In "atomic" mode a bad row means nothing is
    written; in "valid" mode the valid rows are written and the rest come back as rejects. Only cadres
    (village and above) may import. Records one `grid.import` event with the counts (rows are
    bulk-written, not one event each) in the import's transaction; a refused import records nothing.
    """
    from minhu.grid.imports import SPECS
    from minhu.grid.selectors import can_import

    if not can_import(actor):
        raise PermissionDenied
    spec = SPECS[kind](actor)
    with transaction.atomic():
        result = run_import(spec=spec, f=f, filename=filename, mode=mode, progress=progress)
        if result.written:
            event_record(
                actor=actor,
                verb="grid.import",
                after={
                    "kind": kind,
                    "file": filename[:200],
                    "mode": mode,
                    "rows": result.rows,
                    "written": result.written,
                    "rejected": len(result.rejects),
                },
            )
    return result
