"""Demo grid: 沈阳市苏家屯区永乐街道 with its seven villages, and 云浮市罗定市罗城街道 with
the 泮江翡翠城 estate (the places of the seed article).

Households and people come from a fixed seed, so every run makes the same names. The chains are
complete except for deliberate gaps: 来胜堡村 has no street leader, one block of 杨城寨村 no
party-group leader. 宝相屯村 is under rectification, with its four-ones. Each village has two
terms of committees. The demo logins get posts: `district` for the district, `street` for
永乐街道, `cadre` for 马耳山村; `member` covers households there (包户); `resident` lives there.

Idempotent: once the district exists, nothing more is created.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from minhu.accounts.models import User
from minhu.grid.models import Household, Person, Responsibility, Unit
from minhu.grid.services import (
    cadre_add,
    household_create,
    party_member_set,
    person_create,
    person_link_user,
    post_create,
    responsibility_assign,
    term_create,
    unit_create,
)

VILLAGES = ["马耳山村", "互助村", "杨城寨村", "康家山村", "来胜堡村", "宝相屯村", "杨树林子村"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰淑珍凤兰国庆志刚文学春梅海燕"
START = date(2024, 1, 1)
HOUSEHOLDS_PER_BLOCK = 10


def load() -> list[tuple[str, str, str]]:
    if Unit.objects.filter(code="210111").exists():
        return []
    rng = random.Random(2026)  # noqa: S311 -- demo names, not security

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))

    users = {
        u.username: u
        for u in User.objects.filter(username__in=["district", "street", "cadre", "member", "resident"])
    }

    district = unit_create(
        kind="district",
        name="苏家屯区",
        code="210111",
        parent=None,
        actor=None,
        latitude=Decimal("41.664757"),
        longitude=Decimal("123.344031"),
    )
    street = unit_create(kind="street", name="永乐街道", code="210111001", parent=district, actor=None)
    if "district" in users:
        post_create(user=users["district"], unit=district, title="区委组织部", start=START, actor=None)
    if "street" in users:
        post_create(user=users["street"], unit=street, title="街道党工委书记", start=START, actor=None)

    blocks_by_village: dict[str, list[Unit]] = {}
    for vi, vname in enumerate(VILLAGES, start=1):
        vcode = f"210111001{vi:03d}"
        village = unit_create(
            kind="village",
            name=vname,
            code=vcode,
            parent=street,
            actor=None,
            under_rectification=vname == "宝相屯村",
        )
        if vname != "来胜堡村":  # a deliberate gap: the street leader's post is vacant
            leader = person_create(name=name(), actor=None)
            responsibility_assign(
                unit=village, role=Responsibility.Role.STREET_LEADER, person=leader, start=START, actor=None
            )
        if village.under_rectification:
            for role in (
                Responsibility.Role.FOUR_DISTRICT_LEADER,
                Responsibility.Role.FOUR_STREET_SECRETARY,
                Responsibility.Role.FOUR_FIRST_SECRETARY,
            ):
                responsibility_assign(
                    unit=village,
                    role=role,
                    person=person_create(name=name(), actor=None),
                    start=START,
                    actor=None,
                )
            responsibility_assign(
                unit=village,
                role=Responsibility.Role.FOUR_PAIRED_DEPARTMENT,
                department="区农业农村局",
                start=START,
                actor=None,
            )
        blocks: list[Unit] = []
        for ai in (1, 2):
            area = unit_create(
                kind="area", name=f"第{ai}片", code=f"{vcode}{ai:02d}", parent=village, actor=None
            )
            responsibility_assign(
                unit=area,
                role=Responsibility.Role.COMMITTEE_MEMBER,
                person=person_create(name=name(), actor=None),
                start=START,
                actor=None,
            )
            for bi in (1, 2):
                block = unit_create(
                    kind="block",
                    name=f"第{ai}片第{bi}块",
                    code=f"{vcode}{ai}{bi:02d}",
                    parent=area,
                    actor=None,
                )
                blocks.append(block)
                if not (vname == "杨城寨村" and ai == 2 and bi == 2):  # a deliberate gap
                    responsibility_assign(
                        unit=block,
                        role=Responsibility.Role.GROUP_LEADER,
                        person=person_create(name=name(), actor=None),
                        start=START,
                        actor=None,
                    )
        blocks_by_village[vname] = blocks
        _households(rng, name, blocks, vname)
        _terms(rng, name, village, dispatched=vname == "宝相屯村")

    # 罗定市罗城街道: the 泮江翡翠城 estate, run with its property-management party branch.
    luoding = unit_create(kind="district", name="罗定市", code="445381", parent=None, actor=None)
    luocheng = unit_create(kind="street", name="罗城街道", code="445381001", parent=luoding, actor=None)
    estate = unit_create(
        kind="estate",
        name="泮江翡翠城",
        code="445381001001",
        parent=luocheng,
        actor=None,
        latitude=Decimal("22.768"),
        longitude=Decimal("111.569"),
    )
    responsibility_assign(
        unit=estate,
        role=Responsibility.Role.COMMITTEE_MEMBER,
        person=person_create(name=name(), actor=None),
        start=START,
        actor=None,
    )
    estate_blocks = []
    for ai in (1, 2):
        area = unit_create(
            kind="area", name=f"{ai}期", code=f"445381001001{ai:02d}", parent=estate, actor=None
        )
        for bi in (1, 2):
            block = unit_create(
                kind="block", name=f"{ai}期{bi}栋", code=f"445381001001{ai}{bi:02d}", parent=area, actor=None
            )
            responsibility_assign(
                unit=block,
                role=Responsibility.Role.GROUP_LEADER,
                person=person_create(name=name(), actor=None),
                start=START,
                actor=None,
            )
            estate_blocks.append(block)
    _households(rng, name, estate_blocks, "泮江翡翠城")

    _demo_logins(users, blocks_by_village["马耳山村"])
    return []


def _households(rng: random.Random, make: Callable[[], str], blocks: list[Unit], place: str) -> None:
    for block in blocks:
        members: list[Person] = []
        for n in range(1, HOUSEHOLDS_PER_BLOCK + 1):
            hh = household_create(
                unit=block, number=f"{n}号", address=f"{place}{block.name}{n}号", actor=None
            )
            size = rng.choice((1, 2, 2, 3, 3, 4))
            surname = rng.choice(SURNAMES)
            for i in range(size):
                old = i == 0 and size == 1 and rng.random() < 0.6
                person = person_create(
                    name=surname + make()[1:] if i < 2 or rng.random() < 0.8 else make(),
                    household=hh,
                    is_head=i == 0,
                    gender=rng.choice("fm"),
                    birth_date=date(
                        rng.randint(1940, 2015) if not old else rng.randint(1935, 1950),
                        rng.randint(1, 12),
                        rng.randint(1, 28),
                    ),
                    phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                    id_number=_id_number(rng),
                    elderly_alone=old,
                    low_income=rng.random() < 0.05,
                    disability=rng.random() < 0.03,
                    actor=None,
                )
                members.append(person)
        # Two party members in each block cover (包户) households of it; not every household is covered.
        party = rng.sample([m for m in members if m.is_head], 2)
        households = list(Household.objects.filter(unit=block).order_by("number"))
        for k, member in enumerate(party):
            party_member_set(
                person=member,
                party_group=f"{block.name}党小组",
                centre_household=k == 0,
                actor=None,
                status=rng.choice(("working", "retired")),
            )
            for hh in households[k * 4 : k * 4 + 4]:
                responsibility_assign(
                    unit=block,
                    household=hh,
                    role=Responsibility.Role.PARTY_MEMBER,
                    person=member,
                    start=START,
                    actor=None,
                )


def _id_number(rng: random.Random) -> str:
    born = f"{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return f"210111{born}{rng.randint(0, 9999):04d}"


def _terms(rng: random.Random, name: Callable[[], str], village: Unit, *, dispatched: bool) -> None:
    educations_2018 = ["junior", "junior", "senior", "primary", "senior", "college"]
    educations_2021 = ["senior", "college", "bachelor", "senior", "college", "junior"]
    for start_year, end_year, educations, birth_range in (
        (2018, 2021, educations_2018, (1955, 1975)),
        (2021, 2026, educations_2021, (1968, 1992)),
    ):
        is_dispatched = dispatched and start_year == 2021
        term = term_create(
            unit=village,
            start_year=start_year,
            end_year=end_year,
            dispatched_secretary=is_dispatched,
            actor=None,
        )
        for i in range(5):
            secretary = i == 0
            cadre_add(
                term=term,
                name=name(),
                birth_date=date(rng.randint(*birth_range), rng.randint(1, 12), rng.randint(1, 28)),
                education=rng.choice(educations),
                is_secretary=secretary,
                # 一肩挑: most 2021 secretaries also direct the committee; fewer in 2018
                is_director=(i == 0 and not is_dispatched and (start_year == 2021 or rng.random() < 0.4))
                or (i == 1 and (is_dispatched or start_year == 2018)),
                dispatched=secretary and is_dispatched,
                posts="" if i > 1 else ("书记" if secretary else "主任"),
                actor=None,
            )


def _demo_logins(users: dict[str, User], blocks: list[Unit]) -> None:
    village = Unit.objects.get(code="210111001001")
    if "cadre" in users:
        post_create(user=users["cadre"], unit=village, title="村党支部委员", start=START, actor=None)
        responsibility_assign(
            unit=blocks[0].parent or village,
            role=Responsibility.Role.COMMITTEE_MEMBER,
            user=users["cadre"],
            start=START,
            actor=None,
        )
    if "member" in users:
        member = person_create(name="张伟", household=None, actor=None, user=users["member"])
        party_member_set(person=member, party_group="马耳山村第一党小组", actor=None, status="working")
        for hh in Household.objects.filter(unit=blocks[1]).order_by("number")[:5]:
            responsibility_assign(
                unit=blocks[1],
                household=hh,
                role=Responsibility.Role.PARTY_MEMBER,
                user=users["member"],
                start=START,
                actor=None,
            )
    if "resident" in users:
        home = Household.objects.filter(unit=blocks[1]).order_by("number")[0]
        me = person_create(
            name="刘芳",
            household=home,
            actor=None,
            phone="13812348000",
            gender="f",
            birth_date=date(1968, 3, 8),
        )
        person_link_user(person=me, user=users["resident"], actor=None)
