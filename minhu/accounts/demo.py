"""Demo accounts, one per role. Every demo password is DEMO_PASSWORD; change them on a real deployment."""

from __future__ import annotations

from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_create

DEMO_PASSWORD = "Minhu@2026"  # noqa: S105 -- published demo password, printed by `minhu run --demo`

# (user name, display name, role, staff?, superuser?)
DEMO_USERS: list[tuple[str, str, Role, bool, bool]] = [
    ("admin", "系统管理员", Role.ADMINISTRATOR, True, True),
    ("district", "区委组织部 陈静", Role.DISTRICT_STAFF, True, False),
    ("street", "永乐街道 王建国", Role.STREET_STAFF, True, False),
    ("cadre", "马耳山村两委 李秀英", Role.VILLAGE_CADRE, False, False),
    ("member", "党员 张伟", Role.GRID_MEMBER, False, False),
    ("resident", "村民 刘芳", Role.RESIDENT, False, False),
    ("auditor", "安全审计员 赵敏", Role.AUDITOR, True, False),
]


def load() -> list[tuple[str, str, str]]:
    logins = []
    for username, display_name, role, staff, superuser in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                password=DEMO_PASSWORD,
                actor=None,
                display_name=display_name,
                roles=[role],
                is_staff=staff,
                is_superuser=superuser,
            )
        logins.append((username, DEMO_PASSWORD, str(role.label)))
    return logins
