"""Inbound appeals from the WeChat official account and the one-to-one butler (一对一管家), through a gateway.

The gateway POSTs JSON to `/appeals/inbound/wechat/` with two headers, the same scheme Minhu uses for its
outbound webhooks (docs/notifications.md):

    X-Minhu-Timestamp: <unix seconds>
    X-Minhu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with MINHU_WECHAT_INBOUND_SECRET>

A bad or missing signature, or a timestamp more than five minutes away from the server's clock, is refused
with 403 and nothing is read. The body (docs/appeals.md lists it): `msg_id` (required; the idempotency key,
so a gateway that retries never creates a second appeal), `text` (required), and optionally `category`
(a catalogue code; otherwise guessed from the catalogue's keywords), `kind`, `name`, `phone`, `address`,
`lat`, `long`, `anonymous`. The answer is 201 (created) or 200 (a retry, or linked to an open matter) with
`tracking_code`, `track_url`, `state` and `linked_to`; bad input is 400 with `errors` keyed by field.
"""

from __future__ import annotations

import hmac
import json
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from minhu.appeals.models import Category, Channel, Kind
from minhu.appeals.services import IntakeData, appeal_submit
from minhu.core.outbox import webhook_signature

MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024


def category_guess(text: str) -> Category | None:
    """The active category whose keywords occur most often in the text; the fallback category if none."""
    best, hits = None, 0
    for category in Category.objects.filter(active=True).exclude(keywords=""):
        n = sum(1 for word in category.keywords.split() if word and word in text)
        if n > hits:
            best, hits = category, n
    if best is not None:
        return best
    return Category.objects.filter(code=settings.APPEALS_FALLBACK_CATEGORY, active=True).first()


def signature_ok(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), signature)


def _decimal(value: Any, name: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        errors.setdefault(name, []).append(_("Not a number."))
        return None


@csrf_exempt
@require_POST
def wechat(request: HttpRequest) -> JsonResponse:
    secret = settings.WECHAT_INBOUND_SECRET
    if not secret:
        raise Http404
    body = request.body
    if len(body) > MAX_BODY_BYTES or not signature_ok(
        secret,
        request.headers.get("X-Minhu-Timestamp", ""),
        body,
        request.headers.get("X-Minhu-Signature", ""),
    ):
        return JsonResponse({"errors": {"signature": [_("Bad or missing signature.")]}}, status=403)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"errors": {"body": [_("Send a JSON object.")]}}, status=400)

    errors: dict[str, list[str]] = {}
    msg_id = str(payload.get("msg_id") or "").strip()
    if not msg_id or len(msg_id) > 90:
        errors.setdefault("msg_id", []).append(_("Required, at most 90 characters."))
    text = str(payload.get("text") or "")
    code = str(payload.get("category") or "").strip()
    category = Category.objects.filter(code=code, active=True).first() if code else category_guess(text)
    if code and category is None:
        errors.setdefault("category", []).append(_("No active category has this code."))
    lat = _decimal(payload.get("lat"), "lat", errors)
    long = _decimal(payload.get("long"), "long", errors)
    kind = str(payload.get("kind") or (category.default_kind if category else Kind.HELP))
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    data = IntakeData(
        kind=kind,
        channel=Channel.WECHAT,
        category=category,
        description=text,
        address=str(payload.get("address") or ""),
        lat=lat,
        long=long,
        caller_name=str(payload.get("name") or ""),
        caller_phone=str(payload.get("phone") or ""),
        anonymous=bool(payload.get("anonymous")),
        idempotency_key=f"wechat:{msg_id}",
    )
    try:
        result = appeal_submit(data=data)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    appeal = result.appeal
    return JsonResponse(
        {
            "tracking_code": appeal.tracking_code,
            "track_url": request.build_absolute_uri(reverse("appeals:track", args=[appeal.tracking_code])),
            "state": appeal.state,
            "linked_to": result.repeat_of.tracking_code if result.repeat_of else None,
        },
        status=201 if result.created and result.repeat_of is None else 200,
    )
