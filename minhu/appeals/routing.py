"""Where an appeal belongs and who answers it.

- `locate(data)`: a household → its unit (usually a block); a unit given → that unit; a point → the deepest
  unit whose boundary polygon contains it; a free address → the best-matching unit by name; then the street,
  village (or community) and district above it, read off the unit's path in one query.
- `choose(appeal)`: a category with a department → that department; otherwise the responsible person at the
  category's handling level in the unit's chain (default: the household's party member, 包户), falling back up
  the chain when that level has nobody (属地兜底). Nobody found → None: the appeal stays `submitted` in the
  dispatchers' queue.

This module only chooses; the intake service (`minhu.appeals.services.intake`) dispatches what it chooses.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Value
from django.db.models.functions import Length
from django.utils import timezone

from minhu.accounts.models import User
from minhu.grid.models import Household, Post, Unit, path_ids

# The chain's vocabulary (LEVELS, LEVEL_ORDER, ROLE_PREFERENCE) lives in the grid; re-exported for routing's
# callers.
from minhu.grid.selectors import LEVEL_ORDER as LEVEL_ORDER
from minhu.grid.selectors import LEVELS as LEVELS
from minhu.grid.selectors import ROLE_PREFERENCE as ROLE_PREFERENCE
from minhu.grid.selectors import Answerer, chain_handlers, logins_answering_under


@dataclass(frozen=True)
class Place:
    unit: Unit | None = None
    household: Household | None = None
    street: Unit | None = None
    village: Unit | None = None
    district: Unit | None = None


def locate(data: Any) -> Place:
    unit: Unit | None = data.unit
    if unit is None and data.household is not None:
        unit = data.household.unit
    if unit is None and data.lat is not None and data.long is not None:
        unit = unit_at_point(float(data.lat), float(data.long))
    household = data.household
    if unit is None and data.address:
        unit = unit_for_address(data.address)
        if unit is not None:
            household = household_for_address(unit, data.address)
    if unit is None:
        return Place()
    above = {u.kind: u for u in Unit.objects.filter(pk__in=path_ids(unit.path))}
    return Place(
        unit=unit,
        household=household,
        street=above.get(Unit.Kind.STREET),
        village=above.get(Unit.Kind.VILLAGE) or above.get(Unit.Kind.COMMUNITY),
        district=above.get(Unit.Kind.DISTRICT),
    )


# --- a free address → the best-matching unit -------------------------------------------------------------


def unit_for_address(address: str) -> Unit | None:
    """The unit whose name appears in the address, preferring the one whose ancestors' names appear too,
    then the deepest: "泮江翡翠城 3 栋" finds block 3栋 of 泮江翡翠城, not 3栋 of another estate. One query
    (names of two characters or more, matched inside the database)."""
    text = "".join(address.split())
    if len(text) < 2:
        return None
    matches = list(
        Unit.objects.annotate(addr=Value(text), name_len=Length("name"))
        .filter(name_len__gte=2, addr__contains=F("name"))
        .only("pk", "path", "depth", "kind", "name", "district_id")[:200]
    )
    if not matches:
        return None
    matched = {u.pk for u in matches}

    def score(u: Unit) -> tuple[int, int, int]:
        return (len(matched.intersection(path_ids(u.path))), u.depth, len(u.name))

    return max(matches, key=score)


def household_for_address(unit: Unit, address: str) -> Household | None:
    """The household of `unit` whose door number ends the address ("…一块 1号" → 1号; the longest number
    that fits, so 11号 is not read as 1号)."""
    text = "".join(address.split())
    numbers = Household.objects.filter(unit=unit).values_list("pk", "number")
    best = max(
        ((pk, n) for pk, n in numbers if n and text.endswith("".join(n.split()))),
        key=lambda row: len(row[1]),
        default=None,
    )
    return Household.objects.filter(pk=best[0]).first() if best else None


# --- a point → the grid polygon containing it ------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    pk: int
    depth: int
    bbox: tuple[float, float, float, float]  # min long, min lat, max long, max lat
    rings: tuple[tuple[tuple[float, float], ...], ...]


_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"at": 0.0, "key": None, "shapes": []}
_CACHE_SECONDS = 300


def _parse_polygon(text: str) -> list[tuple[tuple[float, float], ...]]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon (or a Feature holding one); [] if unusable."""
    try:
        geo = json.loads(text)
    except ValueError:
        return []
    if isinstance(geo, dict) and geo.get("type") == "Feature":
        geo = geo.get("geometry") or {}
    if not isinstance(geo, dict):
        return []
    coords = geo.get("coordinates") or []
    polygons = (
        [coords] if geo.get("type") == "Polygon" else coords if geo.get("type") == "MultiPolygon" else []
    )
    rings = []
    for polygon in polygons:
        try:
            ring = tuple((float(p[0]), float(p[1])) for p in polygon[0])
        except (TypeError, ValueError, IndexError):
            continue
        if len(ring) >= 3:
            rings.append(ring)
    return rings


def _shapes() -> list[_Shape]:
    """Every unit boundary, parsed once per process; dropped when a unit is saved in this process and re-read
    at least every five minutes (so a boundary redrawn through another process takes effect within that)."""
    now = time.monotonic()
    with _cache_lock:
        if _cache["key"] is not None and now - _cache["at"] < _CACHE_SECONDS:
            return list(_cache["shapes"])
    rows = Unit.objects.exclude(polygon="").values_list("pk", "depth", "polygon")
    shapes = []
    for pk, depth, text in rows.iterator(chunk_size=2000):
        rings = _parse_polygon(text)
        if not rings:
            continue
        xs = [x for r in rings for x, _y in r]
        ys = [y for r in rings for _x, y in r]
        shapes.append(_Shape(pk, depth, (min(xs), min(ys), max(xs), max(ys)), tuple(rings)))
    with _cache_lock:
        _cache.update(at=now, key=len(shapes), shapes=shapes)
    return shapes


def forget_shapes() -> None:
    """Drop the parsed boundaries (after a grid import, and between tests)."""
    with _cache_lock:
        _cache.update(at=0.0, key=None, shapes=[])


def _inside(x: float, y: float, ring: tuple[tuple[float, float], ...]) -> bool:
    """Ray casting: is (x, y) inside the closed ring?"""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def unit_at_point(lat: float | Decimal, long: float | Decimal) -> Unit | None:
    """The deepest unit whose boundary contains the point (GeoJSON order: longitude, latitude)."""
    x, y = float(long), float(lat)
    best: _Shape | None = None
    for s in _shapes():
        if not (s.bbox[0] <= x <= s.bbox[2] and s.bbox[1] <= y <= s.bbox[3]):
            continue
        if any(_inside(x, y, r) for r in s.rings) and (best is None or s.depth > best.depth):
            best = s
    return Unit.objects.filter(pk=best.pk).first() if best else None


# --- who answers -------------------------------------------------------------------------------------------


def handlers_up_the_chain(target: Household | Unit, level: str = "household") -> list[tuple[User, Answerer]]:
    """(user, level) for each level from `level` upwards that has someone with a login; the first is the
    handler, the rest are where escalation goes (`minhu.grid.selectors.chain_handlers`)."""
    return chain_handlers(target, level)


@dataclass(frozen=True)
class Choice:
    """Whom the routing rules send an appeal to: a login or a department by name, and why (the link)."""

    handler: Any = None
    department: str = ""
    note: str = ""


def choose(appeal: Any) -> Choice | None:
    """Where the routing rules send the appeal (see the module docstring); None: the dispatchers' queue."""
    category = appeal.category
    if category.department:
        return Choice(department=category.department)
    anchor = appeal.household or appeal.unit
    if anchor is None:
        return None
    found = handlers_up_the_chain(anchor, category.handling_level)
    if not found:
        return None
    user, answerer = found[0]
    return Choice(handler=user, note=answerer.where)


def candidates_for(appeal: Any, limit: int = 100) -> list[Any]:
    """Whom a dispatcher may send the appeal to: the logins answering for its place from the household up,
    then those answering for units and households under its unit (a village-level appeal can go to any of
    the village's party members) and the staff posted at its unit and above. One query plus the chain's."""
    anchor = appeal.household or appeal.unit
    found: list[Any] = [u for u, _a in handlers_up_the_chain(anchor)] if anchor is not None else []
    if appeal.unit is not None:
        # and the staff holding posts at the unit and above (the village committee, the street office)
        posts = Post.objects.filter(
            Q(end__isnull=True) | Q(end__gt=timezone.localdate()), unit_id__in=path_ids(appeal.unit.path)
        )
        below = logins_answering_under(appeal.unit).values("pk")
        others = (
            User.objects.filter(Q(pk__in=below) | Q(pk__in=posts.values("user_id")), is_active=True)
            .exclude(pk__in=[u.pk for u in found])
            .order_by("display_name", "pk")
        )
        found += list(others[:limit])
    return found[:limit]
