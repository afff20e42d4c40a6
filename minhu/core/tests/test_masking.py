from __future__ import annotations

import pytest

from minhu.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("13812348000", "138****8000"), ("", ""), (None, ""), ("110", "*10"), ("12", "**")],
)
def test_mask_phone(raw: str | None, shown: str) -> None:
    assert mask_phone(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("110101199003078515", "110101********8515"), ("21011219800101123X", "210112********123X"), ("", "")],
)
def test_mask_id_number_keeps_first_six_and_last_four(raw: str, shown: str) -> None:
    assert mask_id_number(raw) == shown


def test_mask_name() -> None:
    assert (mask_name("张三丰"), mask_name("李"), mask_name("")) == ("张**", "*", "")
