"""Import specs for the grid's lists (units, households, people, party members, responsibilities, cadres).

Every reference (a unit code, a household, a person's ID number) is resolved within the importing user's
scope, with a fixed number of queries per batch (one for most, up to three for households), whatever the
size of the tables; a reference outside the scope reads as unknown. Column names are the English field
names, stable across languages, so a template filled in once keeps working.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from minhu.accounts.models import User
from minhu.core.tabular import (
    Column,
    Row,
    Spec,
    parse_bool,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_int,
)
from minhu.core.types import Login
from minhu.grid import selectors
from minhu.grid.models import Cadre, Household, PartyMember, Person, Responsibility, Term, Unit
from minhu.grid.services import ALLOWED_PARENTS, district_of, unit_create

# The reasons minhu.core.tabular gives, translated in this app's catalogue (see the note there).
TABULAR_MESSAGES = [
    gettext_noop("column missing"),
    gettext_noop("contains a control character"),
    gettext_noop(
        "The file is not a readable .xlsx workbook (it may be damaged, cut short or of another kind): save "
        "it from Excel or WPS as .xlsx and upload it again."
    ),
    gettext_noop(
        "The file is not a text .csv file (it holds binary data): save it from Excel or WPS as "
        "CSV (UTF-8) or .xlsx and upload it again."
    ),
    gettext_noop(
        "The file is neither UTF-8 nor GB18030 text: save it from Excel or WPS as CSV (UTF-8) "
        "and upload it again."
    ),
    gettext_noop("The file is not a well-formed .csv file (%(reason)s)."),
    gettext_noop("not a date (YYYY-MM-DD)"),
    gettext_noop("not a number"),
    gettext_noop("not a whole number"),
    gettext_noop("not one of: %(choices)s"),
    gettext_noop("not yes or no"),
    gettext_noop("required"),
]

_PHONE = re.compile(r"^\+?[0-9-]{7,20}$")
_ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")


def parse_phone(value: str) -> str:
    v = value.strip().replace(" ", "")
    if not _PHONE.match(v):
        raise ValueError(_("not a phone number"))
    return v


def parse_id_number(value: str) -> str:
    v = value.strip().upper()
    if not _ID_NUMBER.match(v):
        raise ValueError(_("not an 18-character ID number"))
    return v


class GridSpec(Spec):
    """A spec bound to the importing user (references resolve within their scope)."""

    def __init__(self, user: Login) -> None:
        self.user = user

    def units_by_code(self, codes: set[str]) -> dict[str, Unit]:
        qs = selectors.units_visible_to(self.user).filter(code__in=codes)
        return {u.code: u for u in qs}

    def households_by_key(
        self, rows: list[Row], unit_col: str, number_col: str
    ) -> dict[tuple[str, str], Household]:
        """The batch's households by (unit code, door number), and only those: the batch's units (one
        query), the ids of the households with exactly the batch's (unit, number) pairs (one query on the
        unique index), then those households within scope (one query, none when no pair exists): a batch
        never reads the households its blocks already hold, earlier batches' included."""
        wanted = {
            (r.values[unit_col], r.values[number_col]) for r in rows if r.values.get(number_col) is not None
        }
        if not wanted:
            return {}
        code_of = dict(
            selectors.units_visible_to(self.user)
            .filter(code__in={code for code, _n in wanted})
            .values_list("pk", "code")
        )
        id_of = {code: pk for pk, code in code_of.items()}
        pairs = sorted((id_of[code], number) for code, number in wanted if code in id_of)
        if not pairs:
            return {}
        ids = _household_ids(pairs)
        if not ids:
            return {}
        qs = selectors.households_visible_to(self.user).filter(pk__in=ids).order_by()
        return {(code_of[h.unit_id], h.number): h for h in qs}


def _household_ids(pairs: list[tuple[int, str]]) -> list[int]:
    """The ids of the households with these (unit id, door number) pairs: a row-value IN (PostgreSQL and
    SQLite both take it; Django's ORM has no public tuple IN), one probe of the unique index per pair."""
    t, qn = Household._meta.db_table, connection.ops.quote_name
    values = ", ".join(["(%s, %s)"] * len(pairs))
    sql = f"SELECT {qn('id')} FROM {qn(t)} WHERE ({qn('unit_id')}, {qn('number')}) IN (VALUES {values})"  # noqa: S608 -- names from the model; values are parameters
    with connection.cursor() as cur:
        cur.execute(sql, [v for pair in pairs for v in pair])
        return [row[0] for row in cur.fetchall()]


class UnitSpec(GridSpec):
    name = "units"
    columns = [
        Column("code", example="210111001001001"),
        Column("name", example="第一网格"),
        Column("kind", parse_choice(Unit.Kind.choices), example="block"),
        Column("parent_code", required=False, example="210111001001"),
        Column("latitude", parse_decimal, required=False, example="41.66"),
        Column("longitude", parse_decimal, required=False, example="123.34"),
    ]

    def __init__(self, user: Login) -> None:
        super().__init__(user)
        self.kinds: dict[str, str] = {}  # code → kind of units this import creates

    def build(self, rows: list[Row]) -> None:
        wanted = {r.values["parent_code"] for r in rows if r.values["parent_code"]}
        parents = self.units_by_code(wanted)
        taken = set(
            Unit.objects.filter(code__in={r.values["code"] for r in rows}).values_list("code", flat=True)
        )
        for r in rows:
            v = r.values
            if v["code"] in taken or v["code"] in self.kinds:
                r.fail("code", _("already used"))
                continue
            parent_code = v["parent_code"]
            parent_kind: str | None = None
            if parent_code:
                if parent_code in parents:
                    parent_kind = parents[parent_code].kind
                elif parent_code in self.kinds:
                    parent_kind = self.kinds[parent_code]
                else:
                    r.fail("parent_code", _("unknown unit"))
                    continue
            elif not self.user.is_superuser:
                r.fail("parent_code", _("required"))
                continue
            if parent_kind not in ALLOWED_PARENTS[v["kind"]]:
                r.fail("kind", _("cannot sit under a unit of kind %(kind)s") % {"kind": parent_kind or "—"})
                continue
            self.kinds[v["code"]] = v["kind"]
            r.obj = v

    def save(self, objs: list[Any]) -> None:
        # Units need their parent's path, so they are created one by one, in file order.
        wanted = {v["parent_code"] for v in objs if v["parent_code"]}
        known = {u.code: u for u in Unit.objects.filter(code__in=wanted)}
        for v in objs:
            unit = unit_create(
                kind=v["kind"],
                name=v["name"],
                code=v["code"],
                parent=known[v["parent_code"]] if v["parent_code"] else None,
                latitude=v["latitude"],
                longitude=v["longitude"],
                actor=self.user,
            )
            known[unit.code] = unit


class HouseholdSpec(GridSpec):
    name = "households"
    columns = [
        Column("unit_code", example="210111001001001"),
        Column("number", example="3号"),
        Column("address", required=False, example="马耳山村3组3号"),
    ]

    def __init__(self, user: Login) -> None:
        super().__init__(user)
        self.seen: set[tuple[str, str]] = set()

    def build(self, rows: list[Row]) -> None:
        units = self.units_by_code({r.values["unit_code"] for r in rows})
        existing = self.households_by_key(rows, "unit_code", "number")
        for r in rows:
            v = r.values
            unit = units.get(v["unit_code"])
            key = (v["unit_code"], v["number"])
            if unit is None:
                r.fail("unit_code", _("unknown unit"))
            elif key in existing or key in self.seen:
                r.fail("number", _("already recorded"))
            else:
                self.seen.add(key)
                r.obj = Household(
                    unit=unit, district_id=district_of(unit), number=v["number"], address=v["address"] or ""
                )


class PersonSpec(GridSpec):
    name = "people"
    columns = [
        Column("unit_code", example="210111001001001"),
        Column("household_number", example="3号"),
        Column("name", example="刘芳"),
        Column("gender", parse_choice(Person.Gender.choices), required=False, example="f"),
        Column("birth_date", parse_date, required=False, example="1958-04-12"),
        Column("phone", parse_phone, required=False, example="13812348000"),
        Column("id_number", parse_id_number, required=False, example="210111195804120026"),
        Column("is_head", parse_bool, required=False, example="1"),
        Column("elderly_alone", parse_bool, required=False, example="0"),
        Column("disability", parse_bool, required=False, example="0"),
        Column("low_income", parse_bool, required=False, example="0"),
        Column("special_population", parse_bool, required=False, example="0"),
    ]

    def __init__(self, user: Login) -> None:
        super().__init__(user)
        self.heads: set[int] = set()

    def build(self, rows: list[Row]) -> None:
        households = self.households_by_key(rows, "unit_code", "household_number")
        ids = [h.pk for h in households.values()]
        self.heads |= set(
            Person.objects.filter(household_id__in=ids, is_head=True).values_list("household_id", flat=True)
        )
        for r in rows:
            v = r.values
            h = households.get((v["unit_code"], v["household_number"]))
            if h is None:
                r.fail("household_number", _("unknown household"))
                continue
            if v["is_head"]:
                if h.pk in self.heads:
                    r.fail("is_head", _("the household already has a head"))
                    continue
                self.heads.add(h.pk)
            r.obj = Person(
                household=h,
                district_id=h.district_id,
                name=v["name"],
                gender=v["gender"] or "",
                birth_date=v["birth_date"],
                phone=v["phone"] or "",
                id_number=v["id_number"] or "",
                is_head=bool(v["is_head"]),
                **{f: bool(v[f]) for f in Person.SENSITIVE_FIELDS},
            )


def _people_by_id_number(user: Login, numbers: set[str]) -> dict[str, Person]:
    return {p.id_number: p for p in selectors.people_visible_to(user).filter(id_number__in=numbers)}


class PartyMemberSpec(GridSpec):
    name = "party_members"
    columns = [
        Column("id_number", parse_id_number, example="210111195804120026"),
        Column("party_group", required=False, example="第一党小组"),
        Column("status", parse_choice(PartyMember.Status.choices), required=False, example="retired"),
        Column("centre_household", parse_bool, required=False, example="0"),
        Column("registered_unit_code", required=False, example="210111001001"),
        Column("registered_on", parse_date, required=False, example="2023-05-01"),
        Column("show_identity", parse_bool, required=False, example="1"),
    ]

    def build(self, rows: list[Row]) -> None:
        people = _people_by_id_number(self.user, {r.values["id_number"] for r in rows})
        units = self.units_by_code(
            {r.values["registered_unit_code"] for r in rows if r.values["registered_unit_code"]}
        )
        done = set(PartyMember.objects.filter(person__in=people.values()).values_list("person_id", flat=True))
        for r in rows:
            v = r.values
            p = people.get(v["id_number"])
            unit = units.get(v["registered_unit_code"]) if v["registered_unit_code"] else None
            if p is None:
                r.fail("id_number", _("unknown person"))
            elif p.pk in done:
                r.fail("id_number", _("already recorded"))
            elif v["registered_unit_code"] and unit is None:
                r.fail("registered_unit_code", _("unknown unit"))
            else:
                done.add(p.pk)
                r.obj = PartyMember(
                    person=p,
                    party_group=v["party_group"] or "",
                    status=v["status"] or PartyMember.Status.WORKING,
                    centre_household=bool(v["centre_household"]),
                    registered_unit=unit,
                    registered_on=v["registered_on"],
                    show_identity=v["show_identity"] is not False,
                )


class ResponsibilitySpec(GridSpec):
    name = "responsibilities"
    columns = [
        Column("unit_code", example="210111001001"),
        Column("role", parse_choice(Responsibility.Role.choices), example="street_leader"),
        Column("household_number", required=False, example=""),
        Column("id_number", parse_id_number, required=False, example="210111197001010011"),
        Column("username", required=False, example=""),
        Column("department", required=False, example=""),
        Column("start", parse_date, example="2024-01-01"),
    ]

    def build(self, rows: list[Row]) -> None:
        units = self.units_by_code({r.values["unit_code"] for r in rows})
        households = self.households_by_key(rows, "unit_code", "household_number")
        people = _people_by_id_number(
            self.user, {r.values["id_number"] for r in rows if r.values["id_number"]}
        )
        users = {
            u.username: u for u in User.objects.filter(username__in={r.values["username"] for r in rows})
        }
        for r in rows:
            v = r.values
            unit = units.get(v["unit_code"])
            hh = households.get((v["unit_code"], v["household_number"])) if v["household_number"] else None
            person = people.get(v["id_number"]) if v["id_number"] else None
            user = users.get(v["username"]) if v["username"] else None
            if unit is None:
                r.fail("unit_code", _("unknown unit"))
            elif v["household_number"] and hh is None:
                r.fail("household_number", _("unknown household"))
            elif v["role"] == Responsibility.Role.PARTY_MEMBER and hh is None:
                r.fail("household_number", _("required"))
            elif v["id_number"] and person is None:
                r.fail("id_number", _("unknown person"))
            elif v["username"] and user is None:
                r.fail("username", _("unknown login"))
            elif v["role"] == Responsibility.Role.FOUR_PAIRED_DEPARTMENT and not v["department"]:
                r.fail("department", _("required"))
            elif v["role"] != Responsibility.Role.FOUR_PAIRED_DEPARTMENT and person is None and user is None:
                r.fail("id_number", _("give an ID number or a login"))
            else:
                r.obj = Responsibility(
                    unit=unit,
                    household=hh,
                    role=v["role"],
                    person=person,
                    user=user,
                    department=v["department"] or "",
                    start=v["start"],
                    district_id=district_of(unit),
                )


class CadreSpec(GridSpec):
    name = "cadres"
    columns = [
        Column("unit_code", example="210111001001"),
        Column("start_year", parse_int, example="2021"),
        Column("end_year", parse_int, example="2026"),
        Column("dispatched_secretary", parse_bool, required=False, example="0"),
        Column("name", example="李秀英"),
        Column("birth_date", parse_date, example="1975-06-01"),
        Column("education", parse_choice(Cadre.Education.choices), example="college"),
        Column("is_secretary", parse_bool, required=False, example="1"),
        Column("is_director", parse_bool, required=False, example="1"),
        Column("dispatched", parse_bool, required=False, example="0"),
        Column("posts", required=False, example="妇联主席"),
    ]

    def __init__(self, user: Login) -> None:
        super().__init__(user)
        self.secretaries: set[tuple[int, int]] = set()

    def build(self, rows: list[Row]) -> None:
        units = self.units_by_code({r.values["unit_code"] for r in rows})
        self.secretaries |= set(
            Cadre.objects.filter(term__unit__in=units.values(), is_secretary=True).values_list(
                "term__unit_id", "term__start_year"
            )
        )
        for r in rows:
            v = r.values
            unit = units.get(v["unit_code"])
            if unit is None or unit.kind not in (Unit.Kind.VILLAGE, Unit.Kind.COMMUNITY):
                r.fail("unit_code", _("unknown village or community"))
            elif v["end_year"] < v["start_year"]:
                r.fail("end_year", _("before the first year"))
            elif v["is_secretary"] and (unit.pk, v["start_year"]) in self.secretaries:
                r.fail("is_secretary", _("the term already has a secretary"))
            else:
                if v["is_secretary"]:
                    self.secretaries.add((unit.pk, v["start_year"]))
                r.obj = (unit, v)

    def save(self, objs: list[Any]) -> None:
        keys = {(u.pk, v["start_year"]) for u, v in objs}
        terms = {
            (t.unit_id, t.start_year): t
            for t in Term.objects.filter(
                unit_id__in={k[0] for k in keys}, start_year__in={k[1] for k in keys}
            )
        }
        new = []
        for u, v in objs:
            if (u.pk, v["start_year"]) not in terms:
                t = Term(
                    unit=u,
                    start_year=v["start_year"],
                    end_year=v["end_year"],
                    dispatched_secretary=bool(v["dispatched_secretary"]),
                )
                terms[(u.pk, v["start_year"])] = t
                new.append(t)
        Term.objects.bulk_create(new)
        Cadre.objects.bulk_create(
            [
                Cadre(
                    term=terms[(u.pk, v["start_year"])],
                    name=v["name"],
                    birth_date=v["birth_date"],
                    education=v["education"],
                    is_secretary=bool(v["is_secretary"]),
                    is_director=bool(v["is_director"]),
                    dispatched=bool(v["dispatched"]),
                    posts=v["posts"] or "",
                )
                for u, v in objs
            ]
        )


SPECS: dict[str, type[GridSpec]] = {
    s.name: s for s in (UnitSpec, HouseholdSpec, PersonSpec, PartyMemberSpec, ResponsibilitySpec, CadreSpec)
}
