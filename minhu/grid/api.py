"""JSON API: the grid (units and households), within the caller's scope. People's names are masked:
an integration that needs them in full reads them on the page, where revealing is recorded."""

# No "from __future__ import annotations": django-ninja reads these annotations at import time.

from decimal import Decimal

from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from minhu.accounts.api import require_scope
from minhu.accounts.models import Scope
from minhu.core.api import TOKEN_ERRORS, ApiError, Paged
from minhu.core.masking import mask_name
from minhu.grid.models import Household, Person, Unit
from minhu.grid.selectors import households_visible_to, units_visible_to


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    depth: int
    latitude: Decimal | None
    longitude: Decimal | None
    under_rectification: bool


class UnitFilters(Schema):
    parent: int | None = Field(None, description="only the children of this unit")
    kind: Unit.Kind | None = None
    q: str | None = Field(None, max_length=100, description="part of the name or the code")


class MemberOut(Schema):
    name: str = Field(description="masked")
    is_head: bool


class HouseholdOut(Schema):
    id: int
    unit_id: int
    unit_code: str = Field(alias="unit.code")
    number: str
    address: str
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj: Household) -> list[MemberOut]:
        return [MemberOut(name=mask_name(p.name), is_head=p.is_head) for p in obj.members.all()]


class HouseholdFilters(Schema):
    unit: int | None = Field(None, description="households of this unit and the units under it")
    number: str | None = Field(None, max_length=50)


router = Router(tags=["grid"])
_MEMBERS = Prefetch("members", queryset=Person.objects.order_by("-is_head", "pk"))


@router.get("/units", response={200: list[UnitOut], **TOKEN_ERRORS}, summary="Units in your scope")
@paginate(Paged)
def units(request: HttpRequest, filters: Query[UnitFilters]) -> list[Unit]:
    user = require_scope(request, Scope.GRID_READ)
    qs = units_visible_to(user).order_by("path")
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__iexact=filters.q))
    return qs  # type: ignore[return-value]


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    user = require_scope(request, Scope.GRID_READ)
    unit = units_visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise ApiError(404, "not_found", _("No unit with this id in your scope."), "unit_id")
    return unit


@router.get("/units/{unit_id}", response={200: UnitOut, **TOKEN_ERRORS}, summary="One unit")
def unit(request: HttpRequest, unit_id: int) -> Unit:
    return _unit(request, unit_id)


@router.get(
    "/households", response={200: list[HouseholdOut], **TOKEN_ERRORS}, summary="Households in your scope"
)
@paginate(Paged)
def households(request: HttpRequest, filters: Query[HouseholdFilters]) -> list[Household]:
    user = require_scope(request, Scope.GRID_READ)
    qs = households_visible_to(user).prefetch_related(_MEMBERS)
    if filters.unit is not None:
        root = _unit(request, filters.unit)
        qs = qs.filter(unit__path__startswith=root.path)
    if filters.number:
        qs = qs.filter(number=filters.number)
    return qs.order_by("pk")  # type: ignore[return-value]


@router.get(
    "/households/{household_id}", response={200: HouseholdOut, **TOKEN_ERRORS}, summary="One household"
)
def household(request: HttpRequest, household_id: int) -> Household:
    user = require_scope(request, Scope.GRID_READ)
    h = households_visible_to(user).prefetch_related(_MEMBERS).filter(pk=household_id).first()
    if h is None:
        raise ApiError(404, "not_found", _("No household with this id in your scope."), "household_id")
    return h
