"""`minhu demo`: load or refresh the demo data (safe to repeat)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from minhu.core.demoload import demo_load, demo_notes


class Command(BaseCommand):
    help = "Load the demo data; running it again changes nothing that is already there."

    def handle(self, *args: Any, **options: Any) -> None:
        for username, password, role in demo_load():
            self.stdout.write(f"{username:<14} {password:<14} {role}")
        for line in demo_notes():
            self.stdout.write(line)
