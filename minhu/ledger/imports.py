"""Importing an existing ledger (.xlsx or .csv) into an organisation's accounts.

Column headers are English names, stable across languages (the template has them): `date, account,
amount, counterparty, description, maker, checker`. `account` is the account's code (a cell like
"I01 物业费", as the export's classification column writes it, is read by its code); `maker` and `checker`
are user names (former staff whose logins are deactivated included: the import records history). Every row
is checked by the same rules as a posting (`entry_check`), then appended through `ledger_entry_post`, in
file order, so each imported entry takes its place in the hash chain. All or nothing: one bad row and
nothing is written.

Each row carries an idempotency key made of the file's digest and the row number, so importing the same
file again appends nothing: its rows are reported as already imported.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from minhu.accounts.models import User
from minhu.core.tabular import Column, Row, RowError, Spec, parse_date
from minhu.ledger.models import Account, Entry, Organisation
from minhu.ledger.services import _closed_until, entry_check, ledger_entry_post

# Where a service names a field differently from the file's column.
_COLUMN_OF = {"day": "date"}


def _text(max_length: int) -> Any:
    def parse(value: str) -> str:
        v = value.strip()
        if len(v) > max_length:
            raise ValueError(_("at most %(n)d characters") % {"n": max_length})
        return v

    return parse


def _code(value: str) -> str:
    return value.strip().split()[0]


class EntrySpec(Spec):
    name = "entries"
    columns = [
        Column("date", parse_date, example="2026-01-25"),
        Column("account", _code, example="I01"),
        Column("amount", _text(20), example="80000.00"),
        Column("counterparty", _text(100), required=False, example="罗定市翡翠物业管理有限公司"),
        Column("description", _text(300), example="2026年1月物业费"),
        Column("maker", example="cadre"),
        Column("checker", example="street"),
    ]

    def __init__(self, organisation: Organisation, file_key: str) -> None:
        self.organisation = organisation
        self.file_key = file_key
        self.closed_until = _closed_until(organisation)
        self.refused: list[RowError] = []

    def key(self, row_number: int) -> str:
        return f"import:{self.file_key}:{row_number}"

    def build(self, rows: list[Row]) -> None:
        codes = {r.values["account"] for r in rows}
        accounts = {a.code: a for a in Account.objects.filter(organisation=self.organisation, code__in=codes)}
        names = {r.values[c] for r in rows for c in ("maker", "checker")}
        users = {u.username: u for u in User.objects.filter(username__in=names)}
        done = dict(
            Entry.objects.filter(
                organisation=self.organisation, idempotency_key__in=[self.key(r.number) for r in rows]
            ).values_list("idempotency_key", "seq")
        )
        for r in rows:
            v = r.values
            if self.key(r.number) in done:
                r.fail("", _("already imported as entry #%(seq)d") % {"seq": done[self.key(r.number)]})
                continue
            account = accounts.get(v["account"])
            maker = users.get(v["maker"])
            checker = users.get(v["checker"])
            if account is None:
                r.fail("account", _("no such account in this ledger"))
            if maker is None:
                r.fail("maker", _("no such login"))
            if checker is None:
                r.fail("checker", _("no such login"))
            if r.errors:
                continue
            try:
                amount = entry_check(
                    organisation=self.organisation,
                    day=v["date"],
                    amount=v["amount"],
                    description=v["description"],
                    maker=maker,
                    checker=checker,
                    closed_until=self.closed_until,
                )
            except ValidationError as e:
                for field, messages in e.message_dict.items():
                    r.fail(_COLUMN_OF.get(field, field), "; ".join(messages))
                continue
            r.obj = {
                **v,
                "account": account,
                "maker": maker,
                "checker": checker,
                "amount": amount,
                "row": r.number,
            }

    def save(self, objs: list[Any]) -> None:
        """Append the rows one by one, in file order: each takes the next place in the chain."""
        for v in objs:
            if self.refused:
                return  # nothing after a refused row is appended (and the import is rolled back)
            try:
                ledger_entry_post(
                    account=v["account"],
                    day=v["date"],
                    amount=v["amount"],
                    counterparty=v["counterparty"] or "",
                    description=v["description"],
                    maker=v["maker"],
                    checker=v["checker"],
                    idempotency_key=self.key(v["row"]),
                )
            except ValidationError as e:  # what the checks above could not see
                for field, messages in e.message_dict.items():
                    self.refused.append(RowError(v["row"], _COLUMN_OF.get(field, field), "; ".join(messages)))
