"""Demo Open311 client with a published key, so that anyone can try the API with curl at once (`minhu run
--demo` prints it), and two requests it filed in 马耳山村 (GET requests.json then shows something).

Idempotent: once the demo key exists (even revoked by someone since), nothing more is done.
"""

from __future__ import annotations

from decimal import Decimal

from minhu.appeals.models import Category
from minhu.grid.models import Unit
from minhu.open311.forms import RequestInput
from minhu.open311.models import Client, key_hash
from minhu.open311.services import client_issue, request_submit

# Published: it only ever exists in demo data. Never issue it on a real deployment.
DEMO_KEY = "m311_demo-key-Minhu2026"


def load() -> list[tuple[str, str, str]]:
    if Client.objects.filter(key_hash=key_hash(DEMO_KEY)).exists():
        return []
    client, _key = client_issue(name="演示客户端", contact="demo@minhu.local", actor=None, key=DEMO_KEY)
    lights = Category.objects.filter(code="G03", active=True).first()
    sanitation = Category.objects.filter(code="G01", active=True).first()
    block = Unit.objects.filter(code="210111001001101").first()  # 马耳山村 第1片第1块
    if lights is not None:
        request_submit(
            client=client,
            data=RequestInput(
                category=lights,
                description="村委会门前的两盏路灯晚上不亮，已经三天了。",
                address="永乐街道马耳山村第1片",
                lat=Decimal("41.664757"),
                long=Decimal("123.344031"),
            ),
        )
    if sanitation is not None and block is not None:
        request_submit(
            client=client,
            data=RequestInput(
                category=sanitation,
                description="路口的垃圾箱满了，没有及时清运。",
                unit=block,
            ),
        )
    return []


def notes() -> list[str]:
    """Printed with the demo logins: the key to try the API with, while it works."""
    if Client.objects.filter(key_hash=key_hash(DEMO_KEY), active=True).exists():
        return [f"Open311 api_key: {DEMO_KEY}"]
    return []
