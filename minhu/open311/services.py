"""The only functions that change Open311's data: issuing and revoking client keys, and filing a request
(through the appeals' one intake service)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minhu.appeals.models import Channel
from minhu.appeals.services import IntakeData, IntakeResult, appeal_submit, validate_intake
from minhu.core.services import event_record
from minhu.core.types import Actor
from minhu.open311.forms import RequestInput
from minhu.open311.models import KEY_PREFIX_LENGTH, Client, Submission, key_hash

KEY_START = "m311_"


def new_key() -> str:
    return KEY_START + secrets.token_urlsafe(32)


@transaction.atomic
def client_issue(*, name: str, contact: str = "", actor: Actor, key: str | None = None) -> tuple[Client, str]:
    """Register a client and make its api_key. Returns the client and the plaintext key, which is stored
    nowhere (only its hash): show it once. `key` is given only by the demo, whose key is published."""
    key = key or new_key()
    client = Client(
        name=name.strip(),
        contact=contact.strip(),
        key_prefix=key[:KEY_PREFIX_LENGTH],
        key_hash=key_hash(key),
        created_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )
    client.full_clean()
    client.save()
    event_record(
        actor=actor,
        verb="open311.client_issue",
        target=client,
        after={"name": client.name, "contact": client.contact, "key_prefix": client.key_prefix},
    )
    return client, key


def client_revoke(*, client: Client, actor: Actor) -> Client:
    """Revoke the client's key: from now on its POSTs are refused (403). Its appeals stay as they are.
    Revoking a revoked key changes nothing and raises ValidationError."""
    now = timezone.now()
    with transaction.atomic():
        revoked = Client.objects.filter(pk=client.pk, active=True).update(active=False, revoked_at=now)
        if revoked != 1:
            raise ValidationError(_("This key is already revoked."), code="revoked")
        client.refresh_from_db()
        event_record(
            actor=actor,
            verb="open311.client_revoke",
            target=client,
            before={"active": True},
            after={"active": False, "key_prefix": client.key_prefix},
        )
    return client


def request_submit(*, client: Client, data: RequestInput) -> tuple[Submission, IntakeResult]:
    """File a service request as an appeal (channel open311) through `appeal_submit`, and remember which
    client filed it, in one transaction.

    GeoReport has no client-supplied request id, so there is no idempotency key: a retried POST files again
    (and is linked to the first as a repeat when it is about the same place). The intake's checks run first
    with English active, so that a refusal reads in the language of Open311's audience (they change nothing;
    `appeal_submit` runs them again).
    """
    intake = IntakeData(
        kind=data.category.default_kind,
        channel=Channel.OPEN311,
        category=data.category,
        description=data.description,
        unit=data.unit,
        household=data.household,
        address=data.address,
        lat=data.lat,
        long=data.long,
        caller_name=data.caller_name,
        caller_phone=data.caller_phone,
        photos=data.photos,
        idempotency_key=None,
    )
    with translation.override("en"):
        validate_intake(intake)
    with transaction.atomic():
        result = appeal_submit(data=intake, actor=None)
        submission = Submission(
            appeal=result.appeal,
            client=client,
            media_url=data.media_url,
            submitted_at=result.appeal.submitted_at,
        )
        submission.full_clean()
        submission.save()
        event_record(
            actor=None,
            actor_label=f"open311:{client.key_prefix}",
            verb="open311.request",
            target=submission,
            after={"client": client.name, "tracking_code": result.appeal.tracking_code},
        )
    return submission, result
