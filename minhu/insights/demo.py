"""Demo: compute the rollup over the demo year of appeals, so the candidates page has figures at once."""

from __future__ import annotations

from minhu.insights.services import rollup_refresh_due


def load() -> list[tuple[str, str, str]]:
    rollup_refresh_due()
    return []  # no logins of its own
