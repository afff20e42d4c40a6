"""Reads for Open311: the catalogue as services, appeals as service requests, the public timeline as updates.

Everything here is public (GeoReport GET calls need no key), so nothing personal is read out: the rows are
loaded with `only()` the fields shown — never the caller's name or phone — the place is given as the names
of the grid units (never a door number or the address as typed), a point to about 100 m, and the updates
carry the public timeline's labels, never its notes or who acted. See docs/open311.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minhu.appeals.models import Appeal, Category, Channel, State
from minhu.appeals.selectors import TIMELINE_LABELS
from minhu.core.masking import mask_id_number, mask_name, mask_phone
from minhu.core.models import Event
from minhu.grid.models import Unit, path_ids
from minhu.open311.models import Client, Submission, key_hash

MAX_RESULTS = 1000
MAX_WINDOW = timedelta(days=90)

# GeoReport's two statuses. "closed" means resolved (the spec: "closed — it has been resolved"): a matter the
# handler reports resolved is closed for Open311 even before the caller confirms it; a reopen makes it open
# again. A repeat linked to an open matter is closed (its service_notice says so).
CLOSED_STATES = [State.RESOLVED, State.CONFIRMED, State.CLOSED, State.MERGED]
OPEN_STATES = [s for s in State.values if s not in CLOSED_STATES]


def open311_status(state: str) -> str:
    return "closed" if state in CLOSED_STATES else "open"


# The updates extension's extended statuses, one per public timeline event. Events the public timeline does
# not label are not updates.
UPDATE_STATUS = {
    "appeal.submit": "open",
    "appeal.repeat": "duplicate",
    "appeal.dispatch": "action_scheduled",
    "appeal.respond": "investigating",
    "appeal.start": "in_progress",
    "appeal.resolve": "fixed",
    "appeal.rate_close": "closed",
    "appeal.reopen": "reopen",
    "appeal.answer_on_spot": "closed",
    "appeal.return": "for_triage",
    "appeal.transfer": "internal_referral",
    "appeal.escalate": "unchanged",
    "appeal.overdue": "unchanged",
}


# --- clients ---------------------------------------------------------------------------------------------


def client_for_key(key: str) -> Client | None:
    """The active client holding this api_key, if any (looked up by the key's hash)."""
    if not key:
        return None
    return Client.objects.filter(key_hash=key_hash(key), active=True).first()


# --- services: the catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    code: str
    variable: bool
    required: bool
    datatype: str
    datatype_description: str | Promise
    description: str | Promise
    order: int = 0


# What each of a category's required fields becomes in its service definition, in this order. A location is
# always required by GeoReport itself; a photo travels as a file (media), which the datatypes cannot express:
# those two are informational (variable = false). A phone number and a household are asked for.
ATTRIBUTES: dict[str, Attribute] = {
    "location": Attribute(
        code="location",
        variable=False,
        required=False,
        datatype="string",
        datatype_description="",
        description=_(
            "This category needs an address (address_string) or a point on the map (lat and long); "
            "a unit code (address_id) alone is not enough."
        ),
    ),
    "photo": Attribute(
        code="photo",
        variable=False,
        required=False,
        datatype="string",
        datatype_description="",
        description=_(
            "This category needs a photo, sent with the request as the file field media "
            "(multipart/form-data). A media_url alone is not enough: Minhu does not fetch files from "
            "other hosts."
        ),
    ),
    "phone": Attribute(
        code="phone",
        variable=True,
        required=True,
        datatype="string",
        datatype_description=_("An 11-digit mobile number or a landline such as 0766-1234567"),
        description=_("Phone number to call back (or give it as phone)"),
    ),
    "household": Attribute(
        code="household",
        variable=True,
        required=True,
        datatype="string",
        datatype_description=_("A door number, such as 3号"),
        description=_("The household's door number in the unit given by address_id or address_string"),
    ),
}


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True).order_by("code")


def service_attributes(category: Category) -> list[Attribute]:
    """The attributes of a category's service definition, numbered 1, 2, … in the order of ATTRIBUTES."""
    wanted = set(category.required_fields or [])
    found = [a for name, a in ATTRIBUTES.items() if name in wanted]
    return [replace(a, order=n) for n, a in enumerate(found, start=1)]


def service_name(category: Category) -> str:
    """The category's name in the language of the request (Chinese unless English was chosen)."""
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


# --- requests ----------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def masked_text(text: str, *, names: tuple[str, ...] = ()) -> str:
    """Free text with phone and ID numbers masked, and the given names (the caller's own): callers sometimes
    write them into the description. Other names in the text are not recognised."""
    for name in names:
        if len(name.strip()) >= 2:
            text = text.replace(name.strip(), mask_name(name))
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group()), text)


@dataclass(frozen=True)
class RequestRow:
    """One service request, as GeoReport shows it (in its field order)."""

    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str
    address_id: str
    zipcode: str
    lat: Decimal | None
    long: Decimal | None
    media_url: str


_FIELDS = [
    "id",
    "tracking_code",
    "channel",
    "state",
    "description",
    "caller_name",  # read only to mask it in the description
    "department",
    "submitted_at",
    "resolved_at",
    "confirmed_at",
    "closed_at",
    "resolution_due_at",
    "lat",
    "long",
    "unit_id",
    "village_id",
    "street_id",
    "category__code",
    "category__name",
    "category__name_en",
    "unit__path",
    "unit__code",
    "open311__media_url",
]


def _rows() -> QuerySet[Appeal]:
    # The last event of each appeal (its timeline's index: target, time), for updated_datetime.
    last_event = (
        Event.objects.filter(
            target_type=ContentType.objects.get_for_model(Appeal),
            target_id=Cast(OuterRef("pk"), CharField()),
        )
        .order_by("-at")
        .values("at")[:1]
    )
    return (
        Appeal.objects.select_related("category", "unit", "open311")
        .only(*_FIELDS)
        .annotate(last_event_at=Subquery(last_event))
    )


def _approx(value: Decimal | None) -> Decimal | None:
    """Three decimals: about 100 m, enough to find the matter, not enough to find a front door."""
    return None if value is None else value.quantize(Decimal("0.001"))


def _as_rows(appeals: list[Appeal]) -> list[RequestRow]:
    ids: set[int] = set()
    for a in appeals:
        if a.unit is not None:
            ids.update(path_ids(a.unit.path))
    names = {
        pk: (name, kind)
        for pk, name, kind in Unit.objects.filter(pk__in=ids).values_list("pk", "name", "kind")
    }
    rows = []
    for a in appeals:
        place = ""
        if a.unit is not None:
            place = " ".join(
                names[pk][0]
                for pk in path_ids(a.unit.path)
                if pk in names and names[pk][1] != Unit.Kind.DISTRICT
            )
        agency = a.department or names.get(a.village_id or a.street_id or 0, ("", ""))[0]
        closed = open311_status(a.state) == "closed"
        updated = (a.closed_at or a.confirmed_at or a.resolved_at) if closed else None
        updated = updated or getattr(a, "last_event_at", None) or a.submitted_at
        submission = getattr(a, "open311", None) if a.channel == Channel.OPEN311 else None
        rows.append(
            RequestRow(
                service_request_id=a.tracking_code,
                status=open311_status(a.state),
                status_notes=str(a.get_state_display()),
                service_name=service_name(a.category),
                service_code=a.category.code,
                # What the Open311 client posted, with numbers masked; other channels' descriptions are not
                # public (the tracking page does not show them either).
                description=(
                    masked_text(a.description, names=(a.caller_name,)) if a.channel == Channel.OPEN311 else ""
                ),
                agency_responsible=agency,
                service_notice=str(TIMELINE_LABELS["appeal.repeat"]) if a.state == State.MERGED else "",
                requested_datetime=a.submitted_at,
                updated_datetime=updated,
                expected_datetime=a.resolution_due_at,
                address=place,
                address_id=a.unit.code if a.unit is not None else "",
                zipcode="",
                lat=_approx(a.lat),
                long=_approx(a.long),
                media_url=submission.media_url if submission is not None else "",
            )
        )
    return rows


@dataclass(frozen=True)
class Search:
    start: datetime
    end: datetime
    category_ids: list[int] | None = None
    statuses: frozenset[str] = frozenset({"open", "closed"})


def requests_search(search: Search) -> list[RequestRow]:
    """Requests filed through Open311 with requested_datetime in the window (at most 90 days), newest first,
    at most 1000. Appeals of the other channels are not listed: a tracking code is what lets a caller follow
    and rate their matter, so only codes already public (posted by an Open311 client) appear here."""
    qs = _rows().filter(open311__submitted_at__gte=search.start, open311__submitted_at__lte=search.end)
    if search.category_ids is not None:
        qs = qs.filter(category_id__in=search.category_ids)
    if search.statuses == {"open"}:
        qs = qs.filter(state__in=OPEN_STATES)
    elif search.statuses == {"closed"}:
        qs = qs.filter(state__in=CLOSED_STATES)
    return _as_rows(list(qs.order_by("-open311__submitted_at", "-open311__id")[:MAX_RESULTS]))


def requests_by_ids(ids: list[str]) -> list[RequestRow]:
    """Requests by service_request_id (tracking code), of any channel: whoever holds a code may follow it,
    as on the tracking page. Unknown ids are left out; the order is the order asked."""
    found = {row.service_request_id: row for row in _as_rows(list(_rows().filter(tracking_code__in=ids)))}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def category_ids_for(codes: list[str]) -> tuple[list[int], list[str]]:
    """The ids of the categories with these codes (active or not), and the codes no category has."""
    found = dict(Category.objects.filter(code__in=codes).values_list("code", "pk"))
    return list(found.values()), [c for c in codes if c not in found]


# --- updates -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateRow:
    service_request_id: str
    update_id: str
    status: str
    updated_datetime: datetime
    description: str
    media_url: str
    external_status_code: str


def updates_search(start: datetime, end: datetime) -> list[UpdateRow]:
    """The public timeline events, in the window, of requests filed through Open311: oldest first (so a
    client continues from the last one it saw), at most 1000. Three queries whatever the number."""
    open311_ids = Submission.objects.annotate(key=Cast("appeal_id", CharField())).values("key")
    events = list(
        Event.objects.filter(
            target_type=ContentType.objects.get_for_model(Appeal),
            verb__in=list(UPDATE_STATUS),
            at__gte=start,
            at__lte=end,
            target_id__in=open311_ids,
        )
        .order_by("at", "id")
        .values("id", "at", "verb", "target_id", "after")[:MAX_RESULTS]
    )
    codes = dict(
        Appeal.objects.filter(pk__in={int(e["target_id"]) for e in events}).values_list("pk", "tracking_code")
    )
    return [
        UpdateRow(
            service_request_id=codes[int(e["target_id"])],
            update_id=str(e["id"]),
            status=UPDATE_STATUS[e["verb"]],
            updated_datetime=e["at"],
            description=str(TIMELINE_LABELS[e["verb"]]),
            media_url="",
            external_status_code=str((e["after"] or {}).get("state", "")),
        )
        for e in events
        if int(e["target_id"]) in codes
    ]
