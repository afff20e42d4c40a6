"""A hand-computed world for the statistics, ranking and list tests (times in Shanghai, March 2026).

    苏家屯区 (D)                         erin: post (district staff)
      永乐街道 (S)                        alice: post (street staff)
        马耳山村 (A) → 一片 → 一块 (block) bob: post (village cadre)
        互助村 (B)
      二街道 (S2)
        三村 (C)
      三街道 (S3)                         no appeals at all
      四街道 (S4)
        四村 (E)                          one appeal, never dispatched

March 2026 appeals (category Z91 unless said; "on time" = responded by the response deadline):
  #  street village  state       response  rated: resolved / satisfaction  reopens returns transfers  closed
  1  S      A(block) closed      on time   yes / satisfied                 0       0       0          24 h
  2  S      A        responded   on time   no  / not satisfied             1       0       0          —
     (reopened at +24 h with a fresh response deadline of +48 h, contacted again at +26 h)
  3  S      B        dispatched  late      —                               0       0       0          —
  4  S      B        closed      on time   yes / basic  (category Z92)     0       1       0          48 h
  5  S      A        merged (repeat of 2)  not counted anywhere
  6  S2     C        closed      on time   yes / satisfied                 0       0       0          12 h
  7  S2     C        closed      on time   yes / satisfied                 0       0       0          36 h
  8  S2     C        closed      late      yes / basic                     0       0       2          60 h
  9  S4     E        submitted   —         —                               0       0       0          —
Outside March: #10 in S on 2026-02-27, #11 in S2 on 2026-04-02 (both closed, satisfied, on time).

Street S:  response 3/4 = 75.0; resolution 2/3 = 66.7; satisfaction 2/3 = 66.7;
           composite (30·75 + 35·66.7 + 35·66.7) / 100 = 69.19 → 69.2; reopens 1, returns 1; median 36 h.
Street S2: response 2/3 = 66.7; resolution 3/3 = 100.0; satisfaction 3/3 = 100.0;
           composite (30·66.7 + 35·100 + 35·100) / 100 = 90.01 → 90.0; transfers 2; median 36 h.
Street S4: 1 appeal, nothing to respond to or rate: every rate "—", no rank.  Street S3: no appeals.
Ranking of streets: 1 S2 (90.0), 2 S (69.2), then S4 (no composite), then S3 (no appeals).
Villages of S: B response 1/2 = 50.0, resolution 1/1, satisfaction 1/1 → (1500 + 3500 + 3500) / 100 = 85.0;
               A response 2/2 = 100.0, resolution 1/2 = 50.0, satisfaction 1/2 = 50.0 → 65.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from conftest import make_persona
from minhu.accounts.models import User
from minhu.appeals.models import Appeal, Category, PeriodUnit
from minhu.grid.models import Unit
from minhu.grid.services import post_create, unit_create
from minhu.grid.tests.conftest import START, Tree, build_tree

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
H = timedelta(hours=1)


@dataclass
class World:
    tree: Tree
    street2: Unit
    village_c: Unit
    street3: Unit
    street4: Unit
    village_e: Unit
    t01: Category
    t02: Category
    appeals: dict[int, Appeal]
    alice: User
    bob: User
    erin: User


def make_appeal(
    category: Category, n: int, unit: Unit, *, street: Unit, village: Unit, **fields: Any
) -> Appeal:
    base: dict[str, Any] = {
        "kind": "complaint",
        "channel": "hotline",
        "category": category,
        "description": f"#{n}",
        "address": f"门牌 {n}",
        "submitted_at": T0,
        "tracking_code": f"STAT{n:04d}",
        "unit": unit,
        "street": street,
        "village": village,
        "district": street.district,
        "caller_name": "刘大",
        "caller_phone": "13812348000",
    }
    base.update(fields)
    return Appeal.objects.create(**base)


def _closed(
    hours: int, *, late: bool = False, satisfaction: str = "satisfied", start: datetime = T0
) -> dict[str, Any]:
    return {
        "state": "closed",
        "submitted_at": start,
        "dispatched_at": start,
        "response_due_at": start + 24 * H,
        "responded_at": start + (30 if late else 2) * H,
        "resolved_ok": True,
        "satisfaction": satisfaction,
        "confirmed_at": start + hours * H,
        "closed_at": start + hours * H,
    }


def build_world() -> World:
    tree = build_tree()
    d = tree.district
    s2 = unit_create(kind="street", name="二街道", code="210111002", parent=d, actor=None)
    vc = unit_create(kind="village", name="三村", code="210111002001", parent=s2, actor=None)
    s3 = unit_create(kind="street", name="三街道", code="210111003", parent=d, actor=None)
    s4 = unit_create(kind="street", name="四街道", code="210111004", parent=d, actor=None)
    ve = unit_create(kind="village", name="四村", code="210111004001", parent=s4, actor=None)
    alice, bob, erin = make_persona("alice"), make_persona("bob"), make_persona("erin")
    post_create(user=alice, unit=tree.street, title="街道干部", start=START, actor=None)
    post_create(user=bob, unit=tree.village_a, title="村两委", start=START, actor=None)
    post_create(user=erin, unit=d, title="区直部门", start=START, actor=None)
    t01 = Category.objects.create(
        code="Z91", name="楼道杂物", resolution_amount=5, resolution_unit=PeriodUnit.WORKING_DAYS
    )
    t02 = Category.objects.create(code="Z92", name="路灯损坏", resolution_amount=7)
    s, va, vb = tree.street, tree.village_a, tree.village_b
    due = {"dispatched_at": T0, "response_due_at": T0 + 24 * H}
    a: dict[int, Appeal] = {}
    a[1] = make_appeal(t01, 1, tree.block_a, street=s, village=va, **_closed(24))
    a[2] = make_appeal(
        t01,
        2,
        va,
        street=s,
        village=va,
        state="responded",
        dispatched_at=T0,
        response_due_at=T0 + 48 * H,
        responded_at=T0 + 26 * H,
        resolved_ok=False,
        satisfaction="not",
        reopen_count=1,
    )
    a[3] = make_appeal(t01, 3, vb, street=s, village=vb, state="dispatched", **due, responded_at=T0 + 30 * H)
    a[4] = make_appeal(t02, 4, vb, street=s, village=vb, **_closed(48, satisfaction="basic"), return_count=1)
    a[5] = make_appeal(t01, 5, va, street=s, village=va, state="merged", repeat_of=a[2], closed_at=T0)
    a[6] = make_appeal(t01, 6, vc, street=s2, village=vc, **_closed(12))
    a[7] = make_appeal(t01, 7, vc, street=s2, village=vc, **_closed(36))
    a[8] = make_appeal(
        t01, 8, vc, street=s2, village=vc, **_closed(60, late=True, satisfaction="basic"), transfer_count=2
    )
    a[9] = make_appeal(t01, 9, ve, street=s4, village=ve, state="submitted")
    a[10] = make_appeal(
        t01, 10, va, street=s, village=va, **_closed(5, start=datetime(2026, 2, 27, 9, tzinfo=SH))
    )
    a[11] = make_appeal(
        t01, 11, vc, street=s2, village=vc, **_closed(5, start=datetime(2026, 4, 2, 9, tzinfo=SH))
    )
    return World(tree, s2, vc, s3, s4, ve, t01, t02, a, alice, bob, erin)
