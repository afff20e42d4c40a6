"""Broken files on the ledger's import page: refused whole with the file's problem named, nothing written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from minhu.accounts.models import User
from minhu.core.models import Event
from minhu.core.tests.hostile_files import hostile_files
from minhu.ledger.models import Entry
from minhu.ledger.tests.conftest import Linked


@pytest.mark.parametrize(("case", "name", "data"), hostile_files(), ids=[c for c, _n, _d in hostile_files()])
def test_the_import_page_refuses_a_broken_file_with_its_problem(
    linked: Linked, client: Client, bob: User, case: str, name: str, data: bytes
) -> None:
    client.force_login(bob)
    url = reverse("ledger:staff_import", args=[linked.a.slug])
    response = client.post(url, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    page = response.content.decode()
    if not data:  # refused by the form before it is read: the field says so
        assert "所提交的是空文件。" in page
    else:
        assert 'data-error-row="0"' in page
        assert "该文件" in page  # the message, in the page's language
    assert Entry.objects.count() == 0
    assert not Event.objects.filter(verb="ledger.import").exists()
