"""`check --deploy` fails outright on the settings that open the platform to anyone."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings


def _ids() -> set[str]:
    return {m.id for m in run_checks(include_deployment_checks=True) if m.id and m.id.startswith("minhu.")}


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [
        ("ADMIN_2FA", False, "minhu.E001"),
        ("ALLOWED_HOSTS", ["*"], "minhu.E002"),
        ("ALLOWED_HOSTS", ["minhu.example.gov.cn", "*"], "minhu.E002"),
        ("BENCH_ENDPOINTS", True, "minhu.E003"),
    ],
)
def test_an_insecure_setting_is_an_error(setting: str, value: object, error: str) -> None:
    with override_settings(**{setting: value}):
        assert error in _ids()


@override_settings(ADMIN_2FA=True, ALLOWED_HOSTS=["minhu.example.gov.cn"], BENCH_ENDPOINTS=False)
def test_the_documented_production_settings_raise_none_of_them() -> None:
    assert _ids() == set()
