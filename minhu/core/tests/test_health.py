from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from minhu.core.models import Heartbeat
from minhu.core.services import heartbeat_beat


def test_healthz_reports_missing_worker_as_degraded(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert (body["database"], body["migrations"]) == ("ok", "ok")
    assert body["worker"] == {"status": "missing", "last_seen": None, "age_seconds": None}


def test_healthz_reports_fresh_worker_heartbeat(client: Client, db: None) -> None:
    heartbeat_beat(name="worker")
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["worker"]["status"] == "ok"
    assert 0 <= body["worker"]["age_seconds"] <= 5


def test_healthz_reports_stale_worker(client: Client, db: None, settings: object) -> None:
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - timedelta(minutes=10))
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["worker"]["status"] == "stale"
    assert body["worker"]["age_seconds"] >= 600


def test_healthz_needs_no_login_and_is_not_cached(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
