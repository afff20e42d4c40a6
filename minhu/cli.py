"""The `minhu` console command: Django's management commands with Minhu's settings preselected.

`minhu run` serves the app and starts the worker, `minhu worker` drains the task queue,
`minhu demo` loads the demo data, `minhu i18n` compiles and checks the catalogues; every other Django
command works as with manage.py.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["minhu", *(argv if argv is not None else sys.argv[1:])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
