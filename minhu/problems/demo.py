"""Demo problems: the seed's electric-bike charging at 泮江翡翠城, merged from its charging appeals across
channels and on the agenda of the estate's next three-party consultation, and a street-lamp problem in
马耳山村. Idempotent: nothing is added once they exist."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from minhu.accounts.models import User
from minhu.appeals.models import Appeal
from minhu.grid.models import Unit
from minhu.meetings.services import agenda_item_add, meeting_create
from minhu.problems.models import Problem
from minhu.problems.services import problem_create

MARKER = "demo:"

PROBLEMS = [
    # (unit code, login, words in the appeals, title, description)
    (
        "445381001001",
        "admin",
        "充电",
        "电动车充电难、楼道飞线充电",
        "业主通过意见箱、物业公众号、24小时热线和一对一管家多次反映：小区缺少集中充电设施，"
        "有人把电动车推进电梯、楼道飞线充电，火灾隐患大。",
    ),
    (
        "210111001001",
        "cadre",
        "路灯",
        "村道路灯损坏、夜间照明不足",
        "多名村民反映村道路灯不亮，老人夜间出行不便。",
    ),
]


def load() -> list[tuple[str, str, str]]:
    if Problem.objects.filter(idempotency_key__startswith=MARKER).exists():
        return []
    since = timezone.now() - timedelta(days=120)
    for code, login, words, title, description in PROBLEMS:
        unit = Unit.objects.filter(code=code).first()
        actor = User.objects.filter(username=login).first()
        if unit is None or actor is None:
            continue
        appeals = list(
            Appeal.objects.filter(
                unit__path__startswith=unit.path,
                description__contains=words,
                submitted_at__gte=since,
                problem_link__isnull=True,
                repeat_of__isnull=True,
            )
            .select_related("unit")
            .order_by("-submitted_at")[:12]
        )
        problem = problem_create(
            actor=actor,
            unit=unit,
            title=title,
            description=description,
            category=appeals[0].category if appeals else None,
            appeals=appeals,
            source=Problem.Source.APPEAL,
            idempotency_key=f"{MARKER}{code}:{words}",
        )
        if unit.kind == Unit.Kind.ESTATE:
            _consultation(actor, unit, problem)
    return []


def _consultation(actor: User, estate: Unit, problem: Problem) -> None:
    """The estate's next three-party consultation, with its charging problem as the first matter."""
    start = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=2)
    meeting = meeting_create(
        actor=actor,
        unit=estate,
        title=f"{estate.name}三方联席协商议事会",
        place=f"{estate.name}党群服务站",
        starts_at=start,
        attendees=[
            ("街道党工委", "黄委员", "街道党工委委员"),
            ("物业党支部", "陈书记", "物业党支部书记"),
            ("党员业主代表", "梁代表", "党员业主代表"),
            ("党员业主代表", "吴代表", "党员业主代表"),
        ],
        idempotency_key=f"{MARKER}meeting:{estate.code}",
    )
    agenda_item_add(
        meeting=meeting,
        actor=actor,
        title=problem.title,
        subject=problem,
        idempotency_key=f"{MARKER}item:{problem.pk}",
    )
