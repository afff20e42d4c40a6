"""Password policy beyond Django's own validators (等保 2.0: complexity)."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from minhu.accounts.models import User


class CharacterClassValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    @staticmethod
    def _classes(password: str) -> int:
        return sum(
            [
                any(c in string.ascii_lowercase for c in password),
                any(c in string.ascii_uppercase for c in password),
                any(c in string.digits for c in password),
                any(not c.isascii() or not c.isalnum() for c in password),
            ]
        )

    def validate(self, password: str, user: User | None = None) -> None:
        if self._classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "Your password must mix at least %(n)d of: lower-case letters, upper-case letters, digits, "
            "symbols."
        ) % {"n": self.min_classes}


class ContainsUserNameValidator:
    """The password may not contain the user name (or its reverse), whatever the case: `zhangsan@Minhu2026`
    passes Django's similarity check (the ratio is low) but is the first thing an attacker tries. Names
    shorter than three characters are not checked (they would refuse too much)."""

    def validate(self, password: str, user: User | None = None) -> None:
        name = str(getattr(user, "username", "") or "").strip().lower()
        if len(name) < 3:
            return
        folded = password.lower()
        if name in folded or name[::-1] in folded:
            raise ValidationError(
                _("Your password must not contain your user name."), code="password_contains_username"
            )

    def get_help_text(self) -> str:
        return _("Your password must not contain your user name.")
