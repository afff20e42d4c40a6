"""Intake: one service for every channel (web form, hotline, suggestion box, WeChat, grid member, Open311,
API).

`appeal_submit()` validates everything first (each problem named by its field), then in one transaction:
returns the existing appeal for a retried idempotency key, links a repeat of an open matter instead of opening
a new order, or creates the appeal and dispatches it by the routing rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from minhu.appeals.models import OPEN_STATES, Appeal, Attachment, Category, Channel, Kind, State
from minhu.appeals.routing import choose, locate
from minhu.appeals.services.lifecycle import appeal_dispatch_routed
from minhu.core.idempotency import create_once, key_clean, replay
from minhu.core.services import event_record
from minhu.core.types import Actor

MAX_DESCRIPTION = 4000
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
REPEAT_WINDOW = timedelta(days=30)
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


@dataclass
class IntakeData:
    kind: str
    channel: str
    category: Category | None
    description: str
    unit: Any = None
    household: Any = None
    address: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None
    caller_name: str = ""
    caller_phone: str = ""
    anonymous: bool = False
    caller: Any = None
    photos: list[UploadedFile] = field(default_factory=list)
    idempotency_key: str | None = None
    # Set when the matter already names who must answer (an objection to a ledger line goes to its
    # checker): dispatched straight to them instead of by the routing rules.
    handler: Any = None


@dataclass
class IntakeResult:
    appeal: Appeal
    created: bool
    repeat_of: Appeal | None = None


_CHINA = re.compile(r"^(?:\+|00)86-?")
_FOREIGN = re.compile(r"^(?:\+|00)([1-9]\d{6,14})$")


def _landline(digits: str) -> str:
    """A mainland landline without its trunk 0 (as written after +86): 10 / 2x are two-digit area codes,
    the rest three-digit; written back the national way, `010-12345678`, `0766-1234567`."""
    area = 2 if digits[:1] == "1" or digits[:1] == "2" else 3
    return f"0{digits[:area]}-{digits[area:]}"


def validate_phone(value: str) -> str:
    """A phone as people write it, normalised: spaces, dots and parentheses dropped; the mainland's +86 / 0086
    prefix taken off (a mobile keeps its 11 digits, a landline gets its trunk 0 back: `+86 10 1234 5678` →
    `010-12345678`); another country's number kept as `+` and its digits (E.164). Anything else is refused."""
    phone = re.sub(r"[\s().]", "", value or "")
    if not phone:
        return ""
    if _CHINA.match(phone):
        digits = _CHINA.sub("", phone).replace("-", "")
        if digits.isdigit() and re.fullmatch(r"1[3-9]\d{9}", digits):
            phone = digits
        elif digits.isdigit() and 9 <= len(digits) <= 11 and digits[0] != "0":
            phone = _landline(digits)
    elif (foreign := _FOREIGN.match(phone.replace("-", ""))) is not None:
        return f"+{foreign.group(1)}"
    if not _PHONE.match(phone):
        raise ValidationError(_("Enter an 11-digit mobile number or a landline such as 0766-1234567."))
    return phone


def _check_photo(photo: UploadedFile) -> str | None:
    if photo.size is not None and photo.size > MAX_PHOTO_BYTES:
        return _("%(name)s is larger than 5 MB.") % {"name": photo.name}
    try:
        photo.seek(0)
        with Image.open(photo) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return _("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": photo.name}
    finally:
        photo.seek(0)
    if fmt not in PHOTO_FORMATS:
        return _("%(name)s is not a photo (JPEG, PNG, WebP or GIF).") % {"name": photo.name}
    return None


def validate_intake(data: IntakeData) -> IntakeData:
    """Every problem at once, keyed by field name; nothing is written."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.kind not in Kind.values:
        add("kind", _("Choose what kind of matter this is."))
    if data.channel not in Channel.values:
        add("channel", _("Unknown channel."))
    if data.category is None or not data.category.active:
        add("category", _("Choose a category."))
    description = (data.description or "").strip()
    if not description:
        add("description", _("Describe the matter."))
    elif len(description) > MAX_DESCRIPTION:
        add(
            "description",
            _("At most %(n)d characters (this is %(len)d).")
            % {"n": MAX_DESCRIPTION, "len": len(description)},
        )
    elif _TAG.search(description):
        add("description", _("Plain text only, without HTML."))
    data.description = description
    data.address = (data.address or "").strip()[:300]
    has_point = data.lat is not None and data.long is not None
    if (data.lat is None) != (data.long is None):
        add("location", _("Give both latitude and longitude."))
    if has_point and not (-90 <= float(data.lat or 0) <= 90 and -180 <= float(data.long or 0) <= 180):
        add("location", _("That position is not on the map."))
    if data.unit is None and data.household is None and not data.address and not has_point:
        add("location", _("Say where: a household, an address or a point on the map."))
    try:
        data.caller_phone = validate_phone(data.caller_phone)
    except ValidationError as exc:
        add("caller_phone", exc.messages[0])
    if len(data.caller_name) > 50:
        add("caller_name", _("At most 50 characters."))
    if len(data.photos) > MAX_PHOTOS:
        add("photos", _("At most %(n)d photos.") % {"n": MAX_PHOTOS})
    for photo in data.photos:
        problem = _check_photo(photo)
        if problem:
            add("photos", problem)
    if data.category is not None:
        required = set(data.category.required_fields or [])
        if "photo" in required and not data.photos:
            add("photos", _("This category needs a photo."))
        if "phone" in required and not data.caller_phone:
            add("caller_phone", _("This category needs a phone number to call back."))
        if "household" in required and data.household is None:
            add("household", _("This category needs the household."))
        if "location" in required and not has_point and not data.address:
            add("location", _("This category needs an address or a point on the map."))
    try:
        data.idempotency_key = key_clean(data.idempotency_key)
    except ValidationError as exc:
        add("idempotency_key", exc.messages[0])
    if errors:
        raise ValidationError(errors)
    return data


def find_repeat(data: IntakeData, unit: Any, household: Any = None) -> Appeal | None:
    """An open appeal about the same matter: same category and the same household, or the same place (unit
    and address), raised within the last 30 days."""
    if data.category is None:
        return None
    qs = Appeal.objects.filter(
        category=data.category,
        state__in=OPEN_STATES,
        repeat_of__isnull=True,
        submitted_at__gte=timezone.now() - REPEAT_WINDOW,
    )
    household = household or data.household
    if household is not None:
        qs = qs.filter(household=household)
    elif data.address:
        qs = qs.filter(unit=unit, address=data.address)
    else:
        return None
    return qs.order_by("submitted_at").first()


def appeal_submit(*, data: IntakeData, actor: Actor = None) -> IntakeResult:
    """Take in an appeal from any channel. See the module docstring; retries follow
    `minhu.core.idempotency` (a key is unique over all appeals)."""
    existing = replay(Appeal.objects.all(), data.idempotency_key or None)
    if existing is not None:
        return IntakeResult(appeal=existing, created=False, repeat_of=existing.repeat_of)
    data = validate_intake(data)
    found: dict[str, Appeal | None] = {}

    def create() -> Appeal:
        place = locate(data)
        repeat = find_repeat(data, place.unit, place.household) if data.kind != Kind.SUGGESTION else None
        found["repeat"] = repeat
        appeal = Appeal(
            idempotency_key=data.idempotency_key,
            kind=data.kind,
            channel=data.channel,
            category=data.category,  # not None after validate_intake
            description=data.description,
            unit=place.unit,
            street=place.street,
            village=place.village,
            district=place.district,
            household=data.household or place.household,
            address=data.address,
            lat=data.lat,
            long=data.long,
            caller_name="" if data.anonymous else data.caller_name.strip(),
            caller_phone="" if data.anonymous else data.caller_phone,
            anonymous=data.anonymous,
            caller=data.caller if data.caller is not None and data.caller.is_authenticated else None,
            recorded_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
            repeat_of=repeat,
            state=State.MERGED if repeat else State.SUBMITTED,
            closed_at=timezone.now() if repeat else None,
        )
        # The key's uniqueness is the database's (create_once answers a race with the winner).
        appeal.full_clean(
            exclude=[
                "tracking_code",
                "idempotency_key",
                "unit",
                "district",
                "household",
                "caller",
                "recorded_by",
            ]
        )
        appeal.save()
        for photo in data.photos:
            Attachment.objects.create(appeal=appeal, role=Attachment.Role.SUBMISSION, image=photo)
        event_record(
            actor=actor,
            actor_label=None if actor is not None else "resident",
            verb="appeal.repeat" if repeat else "appeal.submit",
            target=appeal,
            after={
                "state": appeal.state,
                "channel": appeal.channel,
                "kind": appeal.kind,
                "category": appeal.category.code,
                "repeat_of": repeat.tracking_code if repeat else None,
            },
        )
        # The first dispatch is the rules' (or the matter names its handler), not the recording actor's.
        if repeat is None and data.handler is not None:
            appeal_dispatch_routed(appeal=appeal, handler=data.handler, actor=actor)
        elif repeat is None and (choice := choose(appeal)) is not None:
            appeal_dispatch_routed(
                appeal=appeal,
                handler=choice.handler,
                department=choice.department,
                actor=actor,
                note=choice.note,
            )
        if repeat is None:
            from minhu.appeals.services import notify

            notify.appeal_accepted(appeal)  # in this transaction: sent once it commits
        return appeal

    appeal, created = create_once(Appeal.objects.all(), data.idempotency_key, create)
    if not created:  # the same key raced us from another request: answer with the one that won
        return IntakeResult(appeal=appeal, created=False, repeat_of=appeal.repeat_of)
    appeal.refresh_from_db()
    return IntakeResult(appeal=appeal, created=True, repeat_of=found["repeat"])
