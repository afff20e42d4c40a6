"""Login policy: lockout after repeated failures, password complexity, session timeout, audit of logins."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import PASSWORD
from minhu.accounts.models import User
from minhu.accounts.roles import Role
from minhu.accounts.services import user_create, user_set_roles
from minhu.core.models import Event

LOGIN = "/accounts/login/"


def _try(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def test_correct_password_logs_in_and_is_recorded(client: Client, alice: User) -> None:
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Event.objects.filter(verb="auth.login", actor=alice).count() == 1


def test_wrong_password_is_refused_with_a_message_and_recorded(client: Client, alice: User) -> None:
    response = client.post(LOGIN, {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    failed = Event.objects.get(verb="auth.login_failed")
    assert (failed.actor, failed.actor_label, failed.target_id) == (None, "alice", str(alice.pk))


def test_burst_of_failed_logins_locks_the_account(client: Client, alice: User) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    statuses = [_try(client, "alice", f"wrong-{i}") for i in range(limit)]
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert statuses[-1] == 429  # the attempt that reaches the limit is answered with the lockout page
    # Now even the right password is refused, from any client.
    other = Client(REMOTE_ADDR="192.0.2.99")
    response = other.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in other.session
    assert Event.objects.filter(verb="auth.login").count() == 0


def test_lockout_is_per_account(client: Client, alice: User, bob: User) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        _try(client, "alice", f"wrong-{i}")
    assert _try(Client(), "bob", PASSWORD) == 302


def test_logout_is_a_post_and_is_recorded(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert Event.objects.filter(verb="auth.logout", actor=alice).count() == 1
    assert client.get("/").status_code == 302  # back to the login page


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short1A!", False),  # too short
        ("alllowercaseletters", False),  # one class
        ("lowercase1234567", False),  # two classes
        ("Lowercase1234567", True),  # three classes
        ("民呼我应abc12345", True),  # non-ASCII counts as a symbol
        ("1234567890123", False),  # numeric
    ],
)
def test_password_policy(password: str, ok: bool) -> None:
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_user_create_refuses_a_weak_password_and_writes_nothing(db: None) -> None:
    with pytest.raises(ValidationError):
        user_create(username="weak", password="password", actor=None)
    assert not User.objects.filter(username="weak").exists()
    assert not Event.objects.filter(verb="user.create").exists()


def test_user_set_roles_records_before_and_after(alice: User, root: User) -> None:
    user_set_roles(user=alice, roles=[Role.STREET_STAFF, Role.AUDITOR], actor=root)
    e = Event.objects.get(verb="user.roles")
    assert (e.before, e.after, e.actor) == (
        {"roles": ["street_staff"]},
        {"roles": ["auditor", "street_staff"]},
        root,
    )
    assert alice.roles() == {"auditor", "street_staff"}


def test_sessions_expire_after_inactivity() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_passwords_are_hashed_with_argon2(alice: User) -> None:
    assert alice.password.startswith("argon2")
