"""JSON API: appeals — the catalogue and public tracking (no token), and, with a token, filing, listing,
acting on, rating figures and the audit trail, all within the token user's scope and through the same
services as the pages."""

# No "from __future__ import annotations": django-ninja reads these annotations at import time.

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from minhu.accounts.api import require_scope
from minhu.accounts.models import Scope
from minhu.appeals.actions import appeal_act
from minhu.appeals.models import Appeal, Category, Channel, Kind, Satisfaction, State
from minhu.appeals.rates import Rates, rates_by, rates_for
from minhu.appeals.selectors import (
    AppealFilter,
    appeal_list,
    appeal_timeline,
    appeals_visible_to,
    normalise_code,
)
from minhu.appeals.services import (
    ACTIONS,
    Conflict,
    IntakeData,
    NotAllowed,
    actions_for,
    appeal_caller_reveal,
    appeal_submit,
)
from minhu.core.api import PUBLIC_ERRORS, TOKEN_ERRORS, ApiError, ErrorsOut, IsoDate, IsoDateTime, Paged
from minhu.core.masking import mask_name, mask_phone
from minhu.core.models import Event
from minhu.core.types import login_of
from minhu.grid.selectors import households_visible_to, scope_for, units_visible_to

router = Router(tags=["appeals"])
public = Router(tags=["public"])


# --- shapes --------------------------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    group: str
    default_kind: Kind
    urgency: str
    handling_level: str
    department: str
    response_hours: int
    resolution_amount: int
    resolution_unit: str
    required_fields: list[str]


class TimelineOut(Schema):
    at: datetime
    verb: str
    label: str
    actor: str
    note: str


class PublicAppealOut(Schema):
    tracking_code: str
    kind: Kind
    category: str
    state: State
    submitted_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    timeline: list[TimelineOut]


class AppealOut(Schema):
    id: int
    tracking_code: str
    version: int = Field(description="give it back when acting: a changed appeal answers 409")
    kind: Kind
    channel: Channel
    category: str = Field(alias="category.code")
    description: str
    state: State
    unit_id: int | None
    household_id: int | None
    address: str
    lat: Decimal | None
    long: Decimal | None
    caller_name: str = Field(description="masked")
    caller_phone: str = Field(description="masked")
    anonymous: bool
    handler: str | None
    department: str
    escalation_level: int
    repeat_of: str | None
    submitted_at: datetime
    dispatched_at: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    overdue: bool = Field(
        description="overdue now: waiting for its handler past its resolution deadline, or dispatched and "
        "not responded to past its response deadline (the `overdue` filter, the pages' flag)"
    )
    overdue_at: datetime | None = Field(
        description="when the escalation sweep found it past its resolution deadline (kept once closed; "
        "cleared when reopened)"
    )
    result: str
    resolved_ok: bool | None
    satisfaction: Satisfaction | None
    actions: list[str] = Field(description="what you may try now (the state may still refuse)")

    @staticmethod
    def resolve_caller_name(obj: Appeal) -> str:
        return mask_name(obj.caller_name)

    @staticmethod
    def resolve_caller_phone(obj: Appeal) -> str:
        return mask_phone(obj.caller_phone)

    @staticmethod
    def resolve_handler(obj: Appeal) -> str | None:
        return obj.handler.get_username() if obj.handler_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_repeat_of(obj: Appeal) -> str | None:
        return obj.repeat_of.tracking_code if obj.repeat_of_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_satisfaction(obj: Appeal) -> str | None:
        return obj.satisfaction or None

    @staticmethod
    def resolve_overdue(obj: Appeal) -> bool:
        return obj.is_overdue()

    @staticmethod
    def resolve_actions(obj: Appeal, context: dict[str, Any]) -> list[str]:
        return actions_for(obj, context["request"].user)


class AppealDetailOut(AppealOut):
    timeline: list[TimelineOut]

    @staticmethod
    def resolve_timeline(obj: Appeal) -> list[TimelineOut]:
        return [TimelineOut(**e.__dict__) for e in appeal_timeline(obj, public=False)]


class AppealIn(Schema):
    kind: Kind
    category: str = Field(max_length=20, description="a category code from /categories")
    description: str = Field(max_length=4000)
    unit: int | None = Field(None, description="the unit's id, if known")
    household: int | None = Field(None, description="the household's id, if known")
    address: str = Field("", max_length=300)
    lat: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    long: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    caller_name: str = Field("", max_length=50)
    caller_phone: str = Field("", max_length=20)
    anonymous: bool = False


class ActionIn(Schema):
    version: int | None = Field(None, ge=0, description="the version you acted on; 409 if it has changed")
    note: str = Field("", max_length=500)
    result: str = Field("", max_length=4000, description="resolve: what was done; answer: the answer")
    reason: str = Field("", max_length=500, description="return and transfer: why")
    handler: int | None = Field(None, ge=1, description="dispatch: the user id of the handler")
    department: str = Field("", max_length=100, description="dispatch: or a department")
    to: int | None = Field(None, ge=1, description="transfer: the user id of the new handler")


class AppealFilters(Schema):
    state: State | None = None
    kind: Kind | None = None
    channel: Channel | None = None
    category: str | None = Field(None, max_length=20, description="category code")
    unit: int | None = Field(None, description="appeals located in this unit or under it")
    submitted_after: IsoDateTime | None = None
    submitted_before: IsoDateTime | None = None
    overdue: bool | None = Field(
        None, description="true: only those overdue now (as `overdue` in each appeal); false: none of them"
    )
    mine: bool | None = Field(None, description="true: only those you handle")
    q: str | None = Field(
        None,
        max_length=100,
        description="search: a tracking code (spaces, dashes and case ignored), the last four digits of "
        "the caller's phone, or a word of the description or address",
    )


class CallerOut(Schema):
    tracking_code: str
    caller_phone: str = Field(description="in full: the reveal is recorded (`appeal.caller_reveal`)")


class RatesOut(Schema):
    key: str | None = Field(description="the group (street or village id, category code); null for the total")
    appeals: int
    response_rate: Decimal | None
    resolution_rate: Decimal | None
    satisfaction_rate: Decimal | None
    composite: Decimal | None
    reopens: int
    returns: int
    transfers: int
    median_hours_to_close: float | None


class RatesFilters(Schema):
    since: IsoDate | None = Field(None, description="first day (default: 30 days ago)")
    until: IsoDate | None = Field(None, description="last day (default: today)")
    unit: int | None = None
    by: Literal["street", "village", "category"] | None = None


class EventOut(Schema):
    id: int
    at: datetime
    actor: str = Field(alias="actor_label")
    verb: str
    target_type: str
    target_id: str
    target_label: str
    before: dict[str, Any]
    after: dict[str, Any]
    note: str

    @staticmethod
    def resolve_target_type(obj: Event) -> str:
        return obj.target_type.model if obj.target_type is not None else ""


class EventFilters(Schema):
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None
    verb: str | None = Field(None, max_length=64)
    appeal: str | None = Field(
        None, max_length=12, description="only the events of this appeal (tracking code)"
    )


# --- public --------------------------------------------------------------------------------------------


@public.get(
    "/categories", auth=None, response={200: list[CategoryOut], **PUBLIC_ERRORS}, summary="The catalogue"
)
def categories(request: HttpRequest) -> QuerySet[Category]:
    return Category.objects.filter(active=True).order_by("code")


@public.get(
    "/track/{tracking_code}",
    auth=None,
    response={200: PublicAppealOut, **PUBLIC_ERRORS},
    summary="Follow an appeal by its tracking code (no personal data)",
)
def track(request: HttpRequest, tracking_code: str) -> PublicAppealOut:
    code = normalise_code(tracking_code)
    appeal = Appeal.objects.select_related("category").filter(tracking_code=code).first()
    if appeal is None:
        raise ApiError(404, "not_found", _("No appeal has this tracking code."), "tracking_code")
    return PublicAppealOut(
        tracking_code=appeal.tracking_code,
        kind=Kind(appeal.kind),
        category=appeal.category.code,
        state=State(appeal.state),
        submitted_at=appeal.submitted_at,
        resolved_at=appeal.resolved_at,
        closed_at=appeal.closed_at,
        timeline=[TimelineOut(**e.__dict__) for e in appeal_timeline(appeal, public=True)],
    )


# --- appeals ---------------------------------------------------------------------------------------------


_RELATED = Appeal.objects.select_related("category", "handler", "repeat_of")


def _visible(request: HttpRequest, scope: Scope) -> QuerySet[Appeal]:
    user = require_scope(request, scope)
    return appeals_visible_to(user).select_related("category", "handler", "repeat_of")


def _appeal(request: HttpRequest, tracking_code: str, scope: Scope) -> Appeal:
    appeal = _visible(request, scope).filter(tracking_code=normalise_code(tracking_code)).first()
    if appeal is None:
        raise ApiError(
            404, "not_found", _("No appeal with this tracking code in your scope."), "tracking_code"
        )
    return appeal


@router.get("/appeals", response={200: list[AppealOut], **TOKEN_ERRORS}, summary="Appeals in your scope")
@paginate(Paged)
def appeals(request: HttpRequest, filters: Query[AppealFilters]) -> QuerySet[Appeal]:
    """The staff list page's selector (`selectors.appeal_list`) with the same filter: the same rows."""
    user = require_scope(request, Scope.APPEALS_READ)
    category = unit = None
    if filters.category:
        category = Category.objects.filter(code=filters.category).first()
        if category is None:
            raise ApiError(400, "invalid", _("No category has this code."), "category")
    if filters.unit is not None:
        unit = units_visible_to(user).filter(pk=filters.unit).first()
        if unit is None:
            raise ApiError(404, "not_found", _("No unit with this id in your scope."), "unit")
    chosen = AppealFilter(
        state=filters.state or "",
        kind=filters.kind or "",
        channel=filters.channel or "",
        category=category,
        unit=unit,
        submitted_from=filters.submitted_after,
        submitted_before=filters.submitted_before,
        overdue=filters.overdue,
        mine=bool(filters.mine),
        q=(filters.q or "").strip(),
    )
    return appeal_list(user, chosen)


# Where an intake error is about an input this API calls otherwise.
_API_FIELD = {"location": "address", "idempotency_key": "Idempotency-Key"}


@router.post(
    "/appeals",
    response={201: AppealDetailOut, 200: AppealDetailOut, **TOKEN_ERRORS},
    summary="File an appeal (channel: api)",
    description="Send an `Idempotency-Key` header to make retries safe: the same key from the same user "
    "answers 200 with the appeal the first call made, and never files a second one.",
)
def appeal_create(
    request: HttpRequest,
    payload: AppealIn,
    response: HttpResponse,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> Status[Appeal]:
    user = require_scope(request, Scope.APPEALS_WRITE)
    category = Category.objects.filter(code=payload.category, active=True).first()
    if category is None:
        raise ApiError(400, "invalid", _("No active category has this code."), "category")
    unit = household = None
    if payload.household is not None:
        household = households_visible_to(user).filter(pk=payload.household).first()
        if household is None:
            raise ApiError(400, "invalid", _("No household with this id in your scope."), "household")
    elif payload.unit is not None:
        unit = units_visible_to(user).filter(pk=payload.unit).first()
        if unit is None:
            raise ApiError(400, "invalid", _("No unit with this id in your scope."), "unit")
    data = IntakeData(
        kind=payload.kind,
        channel=Channel.API,
        category=category,
        description=payload.description,
        unit=unit,
        household=household,
        address=payload.address,
        lat=payload.lat,
        long=payload.long,
        caller_name=payload.caller_name,
        caller_phone=payload.caller_phone,
        anonymous=payload.anonymous,
        idempotency_key=f"api:{user.pk}:{idempotency_key}" if idempotency_key else None,
    )
    try:
        result = appeal_submit(data=data, actor=user)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {_API_FIELD.get(name, name): errs for name, errs in exc.error_dict.items()}
            ) from exc
        raise
    return Status(201 if result.created else 200, _RELATED.get(pk=result.appeal.pk))


@router.get(
    "/appeals/{tracking_code}",
    response={200: AppealDetailOut, **TOKEN_ERRORS},
    summary="One appeal and its timeline",
)
def appeal_detail(request: HttpRequest, tracking_code: str) -> Appeal:
    return _appeal(request, tracking_code, Scope.APPEALS_READ)


@router.post(
    "/appeals/{tracking_code}/caller",
    response={200: CallerOut, **TOKEN_ERRORS},
    summary="Reveal the caller's full phone (recorded)",
    description="For the appeal's handler, the one it is escalated to and the dispatchers of its scope, "
    "as on the staff page: each call records one `appeal.caller_reveal` event (who and when, never the "
    "phone). Others get 403; an appeal outside your scope 404. Everywhere else the phone stays masked.",
)
def appeal_caller(request: HttpRequest, tracking_code: str) -> CallerOut:
    appeal = _appeal(request, tracking_code, Scope.APPEALS_WRITE)
    user = require_scope(request, Scope.APPEALS_WRITE)
    try:
        phone = appeal_caller_reveal(appeal=appeal, actor=user)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc.args[0]) if exc.args else _("You may not do this.")) from exc
    return CallerOut(tracking_code=appeal.tracking_code, caller_phone=phone)


@router.post(
    "/appeals/{tracking_code}/{action}",
    response={200: AppealDetailOut, 409: ErrorsOut, **TOKEN_ERRORS},
    summary="Act on an appeal",
    description="`action` is one of: " + ", ".join(ACTIONS) + ". The same rules as the staff page: "
    "handlers respond, start, resolve, return; dispatchers dispatch and answer; both may transfer.",
)
def appeal_action(
    request: HttpRequest,
    tracking_code: str,
    action: Literal["respond", "start", "resolve", "return", "dispatch", "answer", "transfer"],
    payload: ActionIn,
) -> Appeal:
    appeal = _appeal(request, tracking_code, Scope.APPEALS_WRITE)
    try:
        appeal = appeal_act(appeal=appeal, actor=login_of(request.user), action=action, data=payload.dict())
    except NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc.args[0]) if exc.args else _("You may not do this.")) from exc
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    # Answer with the appeal as it now is, even where the action took it out of the actor's sight (a
    # transfer, a return).
    return _RELATED.get(pk=appeal.pk)


# --- rates ------------------------------------------------------------------------------------------------


def _rates_out(key: Any, r: Rates) -> RatesOut:
    return RatesOut(
        key=None if key is None else str(key),
        appeals=r.appeals,
        response_rate=r.response_rate,
        resolution_rate=r.resolution_rate,
        satisfaction_rate=r.satisfaction_rate,
        composite=r.composite,
        reopens=r.reopens,
        returns=r.returns,
        transfers=r.transfers,
        median_hours_to_close=r.median_hours_to_close,
    )


@router.get(
    "/rates",
    response={200: list[RatesOut], **TOKEN_ERRORS},
    summary="三率: response, resolution, satisfaction",
)
def rates(request: HttpRequest, filters: Query[RatesFilters]) -> list[RatesOut]:
    qs = _visible(request, Scope.APPEALS_READ)
    today = timezone.localdate()
    until = filters.until or today
    since = filters.since or until - timedelta(days=30)
    if since > until:
        raise ApiError(400, "invalid", _("The first day comes after the last."), "since")
    tz = timezone.get_current_timezone()
    qs = qs.filter(
        submitted_at__gte=datetime.combine(since, time.min, tz),
        submitted_at__lt=datetime.combine(until + timedelta(days=1), time.min, tz),
    )
    if filters.unit is not None:
        unit = units_visible_to(request.user).filter(pk=filters.unit).first()
        if unit is None:
            raise ApiError(404, "not_found", _("No unit with this id in your scope."), "unit")
        qs = qs.filter(unit__path__startswith=unit.path)
    if filters.by is None:
        return [_rates_out(None, rates_for(qs))]
    key = "category__code" if filters.by == "category" else filters.by
    return [_rates_out(k, r) for k, r in rates_by(qs, key).items()]


# --- the audit trail ------------------------------------------------------------------------------------


@router.get(
    "/events", response={200: list[EventOut], **TOKEN_ERRORS}, summary="The audit trail in your scope"
)
@paginate(Paged)
def events(request: HttpRequest, filters: Query[EventFilters]) -> QuerySet[Event]:
    """Those who see everything read every event; others the events of the appeals in their scope."""
    user = require_scope(request, Scope.EVENTS_READ)
    qs = Event.objects.select_related("target_type").order_by("-at", "-id")
    if filters.appeal:
        appeal = appeals_visible_to(user).filter(tracking_code=filters.appeal.upper()).first()
        if appeal is None:
            raise ApiError(404, "not_found", _("No appeal with this tracking code in your scope."), "appeal")
        qs = qs.for_target(appeal)
    elif not scope_for(user).everything:
        ids = appeals_visible_to(user).annotate(sid=Cast("id", CharField())).values("sid")
        qs = qs.filter(target_type__app_label="appeals", target_type__model="appeal", target_id__in=ids)
    if filters.since:
        qs = qs.filter(at__gte=filters.since)
    if filters.until:
        qs = qs.filter(at__lt=filters.until)
    if filters.verb:
        qs = qs.filter(verb=filters.verb)
    return qs
