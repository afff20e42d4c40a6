"""Intake from any channel: bad input named by field with nothing written, retries never duplicate,
repeats are linked."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from minhu.appeals.models import Appeal, Attachment, Category, State
from minhu.appeals.services import IntakeData, appeal_submit, intake
from minhu.core.models import Event


def data(category: Category | None, **extra: Any) -> IntakeData:
    base: dict[str, Any] = {
        "kind": "complaint",
        "channel": "web",
        "category": category,
        "description": "小区电动车充电难，夜里有人从楼上拉电线",
        "address": "泮江翡翠城 5 栋",
        "caller_phone": "13812348000",
    }
    base.update(extra)
    return IntakeData(**base)


def png(size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "PNG")
    return SimpleUploadedFile("photo.png", buf.getvalue(), content_type="image/png")


def errors_of(d: IntakeData) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        appeal_submit(data=d)
    assert Appeal.objects.count() == 0
    assert Event.objects.filter(verb__startswith="appeal.").count() == 0
    return info.value.message_dict


def test_no_location_is_named(ordinary: Category) -> None:
    assert set(errors_of(data(ordinary, address=""))) == {"location"}


def test_malformed_phone_is_named(ordinary: Category) -> None:
    assert set(errors_of(data(ordinary, caller_phone="12345"))) == {"caller_phone"}


def test_over_long_text_is_named(ordinary: Category) -> None:
    (message,) = errors_of(data(ordinary, description="长" * 4001))["description"]
    assert "4000" in message


def test_html_is_refused(ordinary: Category) -> None:
    assert set(errors_of(data(ordinary, description="<script>alert(1)</script>"))) == {"description"}


def test_non_image_photo_is_named(ordinary: Category) -> None:
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    assert set(errors_of(data(ordinary, photos=[fake]))) == {"photos"}


def test_oversized_photo_is_named(ordinary: Category) -> None:
    big = png()
    big.size = 6 * 1024 * 1024
    (message,) = errors_of(data(ordinary, photos=[big]))["photos"]
    assert "5 MB" in message


def test_category_required_fields(needs_photo: Category) -> None:
    assert set(errors_of(data(needs_photo, caller_phone=""))) == {"photos", "caller_phone"}


def test_several_problems_are_reported_at_once(ordinary: Category) -> None:
    assert set(errors_of(data(ordinary, address="", caller_phone="1", description=""))) == {
        "location",
        "caller_phone",
        "description",
    }


def test_photos_are_kept(needs_photo: Category) -> None:
    appeal = appeal_submit(data=data(needs_photo, photos=[png(), png()])).appeal
    assert Attachment.objects.filter(appeal=appeal, role="submission").count() == 2


def test_retry_with_the_same_key_returns_the_first_appeal(ordinary: Category) -> None:
    first = appeal_submit(data=data(ordinary, idempotency_key="form-abc-1"))
    second = appeal_submit(data=data(ordinary, idempotency_key="form-abc-1"))
    assert (first.created, second.created) == (True, False)
    assert second.appeal.pk == first.appeal.pk
    assert Appeal.objects.count() == 1


def test_a_retry_racing_the_first_gets_the_first_appeal(ordinary: Category, monkeypatch: Any) -> None:
    # Two requests with the same key both pass the lookup before either has saved: the unique key refuses
    # the second, which answers with the first's appeal instead of an error, and leaves nothing of its own.
    first = appeal_submit(data=data(ordinary, idempotency_key="form-race"))
    events = Event.objects.count()
    monkeypatch.setattr(intake, "replay", lambda qs, key: None)  # the lookup ran before the first saved
    second = appeal_submit(data=data(ordinary, idempotency_key="form-race"))
    assert (second.created, second.appeal.pk) == (False, first.appeal.pk)
    assert Appeal.objects.count() == 1
    assert Event.objects.count() == events


@pytest.mark.parametrize("key", ["has space", "x" * 101])
def test_a_bad_key_is_refused_naming_it(ordinary: Category, key: str) -> None:
    assert "idempotency_key" in errors_of(data(ordinary, idempotency_key=key))
    assert not Appeal.objects.exists()


def test_anonymous_appeal_keeps_no_contact(ordinary: Category) -> None:
    appeal = appeal_submit(data=data(ordinary, anonymous=True, caller_name="王五")).appeal
    assert (appeal.caller_name, appeal.caller_phone, appeal.anonymous) == ("", "", True)


def test_repeat_of_an_open_matter_is_linked_not_a_new_order(ordinary: Category) -> None:
    first = appeal_submit(data=data(ordinary)).appeal
    again = appeal_submit(data=data(ordinary, caller_phone="13900001111", channel="hotline"))
    assert again.repeat_of == first
    assert again.appeal.state == State.MERGED
    assert Appeal.objects.open().count() == 1
    assert Event.objects.filter(verb="appeal.repeat").count() == 1
