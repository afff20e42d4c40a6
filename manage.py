#!/usr/bin/env python
"""Django's command-line utility. Operators use `minhu` (same commands, installed into .venv/bin)."""

from __future__ import annotations

import sys

from minhu.cli import main

if __name__ == "__main__":
    sys.exit(main())
