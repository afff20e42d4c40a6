"""The demo's Open311 client: loaded once, its published key printed with the demo logins while it works."""

from __future__ import annotations

from typing import Any

from minhu.accounts import demo as accounts_demo
from minhu.appeals.models import Appeal
from minhu.core.demoload import demo_notes
from minhu.core.models import Event
from minhu.grid import demo as grid_demo
from minhu.open311 import demo
from minhu.open311.models import Client, Submission, key_hash
from minhu.open311.services import client_revoke


def test_the_demo_client_is_loaded_once_and_its_key_printed_while_it_works(db: Any) -> None:
    accounts_demo.load()
    grid_demo.load()
    assert demo.load() == []
    counts = (Client.objects.count(), Appeal.objects.count(), Event.objects.count())
    assert demo.load() == []
    assert (Client.objects.count(), Appeal.objects.count(), Event.objects.count()) == counts
    assert counts[:2] == (1, 2)
    assert f"Open311 api_key: {demo.DEMO_KEY}" in demo_notes()
    assert Submission.objects.filter(client__key_hash=key_hash(demo.DEMO_KEY)).count() == 2
    client_revoke(client=Client.objects.get(), actor=None)
    assert demo.notes() == []
    demo.load()  # a revoked demo key is not brought back
    assert Client.objects.count() == 1
