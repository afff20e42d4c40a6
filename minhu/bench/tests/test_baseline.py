"""The bench's baseline endpoint writes its row through `event_record`, like every other event."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from minhu.bench.views import baseline
from minhu.core.context import bind
from minhu.core.models import Event


@pytest.mark.django_db
def test_the_baseline_writes_one_event_through_event_record() -> None:
    with bind(request_id="bench-req-1"):
        response = baseline(RequestFactory().post("/bench/baseline"))
    event = Event.objects.get()
    assert (response.status_code, event.verb, event.actor_label, event.actor) == (
        200,
        "bench.baseline",
        "bench",
        None,
    )
    assert event.request_id == "bench-req-1"  # the request context: only event_record fills it in
