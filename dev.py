#!/usr/bin/env python3
"""Minhu's two commands, with nothing but Python >= 3.11 on the machine.

    python3 dev.py run     install into .venv, migrate, load demo data, serve on 127.0.0.1:8000
    python3 dev.py test    lint, types, migrations, catalogues, the suite on SQLite and PostgreSQL,
                           and the browser tests in headless Chromium

Both are safe to repeat. This file uses the standard library only: it is what makes the rest installable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/minhu"


def say(msg: str) -> None:
    print(f"[minhu] {msg}", flush=True)


def loud(msg: str) -> None:
    bar = "!" * 78
    print(f"\n{bar}\n!! {msg}\n{bar}\n", flush=True)


def ensure_venv(dev: bool) -> None:
    """Create .venv and install the pinned requirements; skip the install when nothing changed."""
    if sys.version_info < (3, 11):
        sys.exit("Minhu needs Python 3.11 or newer.")
    if not PY.exists():
        say("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    lock = ROOT / ("requirements-dev.lock" if dev else "requirements.lock")
    digest = hashlib.sha256()
    for name in ("requirements.lock", "requirements-dev.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / (".installed-dev" if dev else ".installed")
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    say(f"installing {lock.name} (first run or changed requirements)")
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(lock)], check=True)
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)], check=True)
    stamp.write_text(digest.hexdigest())


def minhu(*args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(BIN / "minhu"), *args], cwd=ROOT, env=env).returncode


def cmd_run(argv: list[str]) -> int:
    ensure_venv(dev=False)
    os.execv(str(BIN / "minhu"), [str(BIN / "minhu"), "run", "--demo", *argv])


# --- test ------------------------------------------------------------------------------------


def postgres_reachable(url: str) -> str | None:
    """None when a server answers at url, else the reason."""
    code = (
        "import sys, dj_database_url, psycopg\n"
        "c = dj_database_url.parse(sys.argv[1])\n"
        "psycopg.connect(host=c['HOST'], port=c['PORT'] or 5432, user=c['USER'],"
        " password=c['PASSWORD'] or None, dbname='postgres', connect_timeout=3).close()\n"
    )
    r = subprocess.run([str(PY), "-c", code, url], capture_output=True, text=True)
    return None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["no answer"])[-1]


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("MINHU_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def count_junit(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a JUnit XML report."""
    if not path.exists():
        return (0, 1, 0)
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = failed = skipped = 0
    for s in suites:
        tests += int(s.get("tests", 0))
        failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0))
    return (tests - failed - skipped, failed, skipped)


def cmd_test(argv: list[str]) -> int:
    ensure_venv(dev=True)
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    failures: list[str] = []
    skips: list[str] = []
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base_env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    base_env["MINHU_DEBUG"] = "0"
    base_env.setdefault("MINHU_SECRET_KEY", "test-only-not-secret")

    def step(name: str, args: list[str], env: dict[str, str] | None = None) -> bool:
        say(f"== {name}")
        ok = subprocess.run(args, cwd=ROOT, env=env or base_env).returncode == 0
        if not ok:
            failures.append(name)
        return ok

    quick = "--quick" in argv
    pytest_args = [a for a in argv if a != "--quick"]

    # The .mo files are build products (not committed): pages are only in Chinese once they are compiled.
    step("compile catalogues", [str(BIN / "minhu"), "i18n", "compile"])
    step("ruff check", [str(BIN / "ruff"), "check", "."])
    step("ruff format --check", [str(BIN / "ruff"), "format", "--check", "."])
    step("mypy --strict", [str(BIN / "mypy"), "."])
    step("makemigrations --check", [str(BIN / "minhu"), "makemigrations", "--check", "--dry-run"])
    if shutil.which("xgettext") and shutil.which("msgmerge"):
        step("catalogues complete (zh-hans, en)", [str(BIN / "minhu"), "i18n", "check"])
    else:
        skips.append("catalogue check (gettext's xgettext/msgmerge not installed)")

    chromium = chromium_path()
    if chromium:
        base_env["MINHU_CHROMIUM"] = chromium
    else:
        skips.append("browser tests (no Chromium: apt-get install chromium)")

    pg_url = os.environ.get("MINHU_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    runs: list[tuple[str, dict[str, str]]] = [("SQLite", dict(base_env))]
    if not quick:
        why = postgres_reachable(pg_url)
        if why is None:
            runs.append(("PostgreSQL", dict(base_env, DATABASE_URL=pg_url)))
        else:
            skips.append(f"PostgreSQL run ({pg_url}: {why})")

    totals = [0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for label, env in runs:
            report = Path(tmp) / f"{label}.xml"
            marker = [] if chromium else ["-m", "not browser"]
            step(
                f"pytest on {label}",
                [str(PY), "-m", "pytest", "-q", f"--junitxml={report}", *marker, *pytest_args],
                env,
            )
            for i, n in enumerate(count_junit(report)):
                totals[i] += n

    for s in skips:
        loud(f"SKIPPED: {s}")
    if ci and skips:
        failures.append("skips are failures under CI=true")
    if failures:
        say("FAILED: " + "; ".join(failures))
    else:
        say("all checks passed")
    print(f"tests: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped", flush=True)
    return 1 if failures else 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    return cmd_run(rest) if command == "run" else cmd_test(rest)


if __name__ == "__main__":
    sys.exit(main())
