"""`minhu open311_client NAME [--contact TEXT] [--as USER]`: issue an Open311 api_key for a client and print
it once, as `Open311 api_key: <key>` on a line of its own; `--revoke` revokes the active key of NAME."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minhu.accounts.models import User
from minhu.core import context
from minhu.open311.models import Client
from minhu.open311.services import client_issue, client_revoke


class Command(BaseCommand):
    help = "Issue (or with --revoke, revoke) the Open311 api_key of a client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the client, e.g. the app or organisation that will post")
        parser.add_argument("--contact", default="", help="who runs the client")
        parser.add_argument("--as", dest="username", help="the staff login this is recorded as")
        parser.add_argument("--revoke", action="store_true", help="revoke NAME's active key instead")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active login {options['username']!r}")
        with context.bind(request_id="open311_client"):
            if options["revoke"]:
                client = Client.objects.filter(name=options["name"].strip(), active=True).first()
                if client is None:
                    raise CommandError(f"no active Open311 client named {options['name']!r}")
                client_revoke(client=client, actor=actor)
                self.stdout.write(f"Revoked the key {client.key_prefix}… of {client.name}")
                return
            try:
                client, key = client_issue(name=options["name"], contact=options["contact"], actor=actor)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Issued a key for {client.name}; it is not stored and is shown only now.")
        self.stdout.write(f"Open311 api_key: {key}")
