"""The write-path rule, proved by reading the code: outside an app's services (a `services.py` module or a
`services/` package), migrations and tests, no module calls a write method on a model of another app — and
appeals' own models are written only in `minhu/appeals/services/` (docs/architecture.md, "The write-path
rule").

The scan is an import-and-call reading with `ast`, no execution: a *model name* is a name a module imports
(`from minhu.appeals.models import Appeal`, `from minhu.core import models as core_models`, `apps.get_model`
is not followed) that Django knows as a model. A *write* is a call of one of `WRITES` whose receiver is
rooted in a model (`Appeal.objects.filter(…).update(…)`, `Event.objects.create(…)`) or in a name known to
hold an instance of one (assigned from `Model(…)` or `Model.objects.get(…)`, a loop over a model's queryset,
a parameter annotated with the model: `appeal.save()`). It does not follow attributes
(`appeal.category.save()`), related managers or models passed as values; the rule is the house's, the scan
its tripwire.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("minhu", "config")

WRITES = frozenset(
    {
        "save",
        "create",
        "bulk_create",
        "update",
        "delete",
        "get_or_create",
        "update_or_create",
        "bulk_update",
    }
)

# Apps whose own models may be written only in their services, not anywhere else in the app.
STRICT_APPS = frozenset({"appeals"})

# (module, model) → why that module may write that model where the rule says it may not. Keep it short: every
# line is a deliberate exception or a debt (`TODO(issue 15)`), and says which. A pair, not a module, so that a
# new write of another model in an allowed module still fails.
ALLOWED: dict[tuple[str, str], str] = {
    ("minhu/appeals/demo.py", "appeals.Appeal"): (
        "the demo replays a year of appeals: bulk_create and bulk_update, one statement per batch, so that "
        "`minhu run --demo` starts in seconds; it replays the services' transitions and writes their events"
    ),
    ("minhu/appeals/demo.py", "core.Event"): (
        "the demo's replayed appeals carry the events the services would have written, bulk-created with them"
    ),
    ("minhu/bench/runner.py", "appeals.Appeal"): (
        "`minhu bench` makes appeals overdue in its own benchmark database in one UPDATE before timing the "
        "sweep; never run on a deployment's data (like minhu/bench/synth.py, which builds those databases)"
    ),
    ("minhu/insights/management/commands/insights_bench.py", "accounts.User"): (
        "a benchmark command that makes its two logins in a benchmark database, without a password"
    ),
}


@dataclass(frozen=True, order=True)
class Write:
    module: str
    line: int
    call: str
    model: str  # "app_label.ModelName"

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.call}() on {self.model}"


def _models_by_module() -> dict[str, dict[str, str]]:
    """module path → {class name: "app_label.Model"} for every model Django knows, under the module that
    defines it (and, for convenience, under its app's `models` module, where it is usually imported from)."""
    found: dict[str, dict[str, str]] = {}
    for model in apps.get_models(include_auto_created=False):
        label = f"{model._meta.app_label}.{model.__name__}"
        found.setdefault(model.__module__, {})[model.__name__] = label
        found.setdefault(f"{model._meta.app_config.name}.models", {})[model.__name__] = label
    return found


MODELS = _models_by_module()


def _app_of(path: Path) -> str | None:
    """The app label a source file belongs to (`minhu/appeals/…` → "appeals"), None for `config/`."""
    parts = path.relative_to(ROOT).parts
    if parts[0] == "minhu" and len(parts) > 2:
        config = apps.get_containing_app_config(f"minhu.{parts[1]}")
        return config.label if config is not None else None
    return None


def _is_exempt(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        "migrations" in parts
        or "tests" in parts
        or path.name == "conftest.py"
        or path.name == "services.py"
        or "services" in parts[:-1]
    )


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _resolve(module: str, level: int, here: str, is_package: bool) -> str:
    if level == 0:
        return module
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, module] if module else base)


class _Scanner(ast.NodeVisitor):
    """Collects the writes of one module."""

    def __init__(self, module: str, path: str, is_package: bool) -> None:
        self.module = module
        self.path = path
        self.is_package = is_package
        self.model_names: dict[str, str] = {}  # local name → "app.Model"
        self.model_modules: dict[str, str] = {}  # local name → module path holding models
        self.scopes: list[dict[str, str]] = [{}]  # instance variables per function: name → "app.Model"
        self.writes: list[Write] = []

    # imports --------------------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name in MODELS and alias.asname:
                self.model_modules[alias.asname] = alias.name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        source = _resolve(node.module or "", node.level, self.module, self.is_package)
        for alias in node.names:
            local = alias.asname or alias.name
            if alias.name in MODELS.get(source, {}):
                self.model_names[local] = MODELS[source][alias.name]
            elif f"{source}.{alias.name}" in MODELS:
                self.model_modules[local] = f"{source}.{alias.name}"

    # which expressions denote a model, or an instance of one --------------------------------------------
    def _model_of_class(self, node: ast.expr) -> str | None:
        """`Appeal` or `models.Appeal` (a model class), else None."""
        if isinstance(node, ast.Name):
            return self.model_names.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = self.model_modules.get(node.value.id)
            if module is not None:
                return MODELS[module].get(node.attr)
        if isinstance(node, ast.Subscript):  # QuerySet[Appeal] and the like: not a class
            return None
        return None

    def _rooted_model(self, node: ast.expr) -> str | None:
        """The model a receiver chain starts from: `Appeal.objects.filter(…)` → appeals.Appeal; an instance
        variable itself (`appeal`, not `appeal.notes` or `appeal.__dict__`) → its model."""
        if isinstance(node, ast.Name) and self._model_of_class(node) is None:
            return self._instance(node.id)
        while True:
            model = self._model_of_class(node)
            if model is not None:
                return model
            if isinstance(node, ast.Attribute):
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                return None

    def _instance(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def _annotation_model(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # Appeal | None
            return self._annotation_model(node.left) or self._annotation_model(node.right)
        return self._model_of_class(node)

    # scopes -----------------------------------------------------------------------------------------------
    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        scope: dict[str, str] = {}
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in args:
            model = self._annotation_model(arg.annotation)
            if model is not None:
                scope[arg.arg] = model
        self.scopes.append(scope)
        self.generic_visit(node)
        self.scopes.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _bind(self, target: ast.expr, value: ast.expr | None, annotation: ast.expr | None = None) -> None:
        model = self._annotation_model(annotation)
        if model is None and value is not None:
            model = self._rooted_model(value)
        if isinstance(target, ast.Name):
            if model is not None:
                self.scopes[-1][target.id] = model
            else:
                self.scopes[-1].pop(target.id, None)
        elif (  # obj, created = Model.objects.get_or_create(…)
            isinstance(target, ast.Tuple)
            and target.elts
            and isinstance(target.elts[0], ast.Name)
            and model is not None
            and isinstance(value, ast.Call)
        ):
            self.scopes[-1][target.elts[0].id] = model

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        for target in node.targets:
            self._bind(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        self._bind(node.target, node.value, node.annotation)

    def visit_For(self, node: ast.For) -> None:
        self._bind(node.target, node.iter)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._bind(node.target, node.iter)
        self.generic_visit(node)

    # the writes -------------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITES:
            model = self._rooted_model(func.value)
            if model is not None:
                self.writes.append(Write(self.path, node.lineno, func.attr, model))


def _scan(path: Path, text: str | None = None) -> list[Write]:
    """The model writes in one module (its `text`, read from `path` unless given)."""
    rel = path.relative_to(ROOT).as_posix()
    scanner = _Scanner(_module_name(path), rel, path.name == "__init__.py")
    source = path.read_text(encoding="utf-8") if text is None else text
    scanner.visit(ast.parse(source, filename=rel))
    return scanner.writes


def _sources() -> list[Path]:
    return sorted(p for top in SCANNED for p in (ROOT / top).rglob("*.py") if ".venv" not in p.parts)


def violations(path: Path, text: str | None = None) -> list[Write]:
    """The writes of one module that break the rule (none in an exempt module)."""
    if _is_exempt(path):
        return []
    here = _app_of(path)
    found: list[Write] = []
    for write in _scan(path, text):
        owner = write.model.split(".")[0]
        if owner != here or owner in STRICT_APPS:
            found.append(write)
    return sorted(found)


def test_only_services_write_models_of_another_app() -> None:
    found = [w for path in _sources() for w in violations(path) if (w.module, w.model) not in ALLOWED]
    assert not found, "writes outside the owning app's services:\n" + "\n".join(map(str, found))


def test_the_allowlist_is_not_stale() -> None:
    """Every allowed pair is still a write the rule would refuse: a fixed debt leaves the list."""
    seen = {(w.module, w.model) for path in _sources() for w in violations(path)}
    stale = [pair for pair in ALLOWED if pair not in seen]
    assert not stale, stale
    assert all(reason.strip() for reason in ALLOWED.values())


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        # another app's model through its manager
        (
            "grid",
            "from minhu.core.models import Event\nEvent.objects.create(verb='x')\n",
            ["create() on core.Event"],
        ),
        # a queryset update through a module import; a relative import
        (
            "grid",
            "from minhu.appeals import models as m\n"
            "def f():\n    m.Appeal.objects.filter(pk=1).update(state='x')\n",
            ["update() on appeals.Appeal"],
        ),
        (
            "grid",
            "from ..core.models import Event as E\nE.objects.bulk_create([])\n",
            ["bulk_create() on core.Event"],
        ),
        # an instance: from a get, a loop, a parameter, get_or_create's pair
        (
            "grid",
            "from minhu.appeals.models import Appeal\n"
            "def f(a: Appeal) -> None:\n    a.save()\n"
            "def g() -> None:\n    b = Appeal.objects.get(pk=1)\n    b.delete()\n"
            "def h() -> None:\n    for c in Appeal.objects.all():\n        c.save(update_fields=['state'])\n"
            "def i() -> None:\n    d, _ = Appeal.objects.get_or_create(pk=1)\n    d.save()\n",
            [
                "save() on appeals.Appeal",
                "delete() on appeals.Appeal",
                "save() on appeals.Appeal",
                "get_or_create() on appeals.Appeal",
                "save() on appeals.Appeal",
            ],
        ),
        # reads, and writes of things that are not models, are not writes
        (
            "grid",
            "from minhu.appeals.models import Appeal\n"
            "def f(form, a: Appeal):\n    Appeal.objects.filter(pk=1).exists()\n    form.save()\n"
            "    d = {}\n    d.update(a=1)\n    a.__dict__.update(d)\n",
            [],
        ),
        # an app's own models: allowed in general, not for appeals outside its services
        ("grid", "from minhu.grid.models import Unit\nUnit.objects.filter(pk=1).delete()\n", []),
        (
            "appeals",
            "from minhu.appeals.models import Appeal\nAppeal.objects.filter(pk=1).update(state='x')\n",
            ["update() on appeals.Appeal"],
        ),
        (
            "appeals/services",
            "from minhu.appeals.models import Appeal\nfrom minhu.core.models import Event\n"
            "Appeal.objects.filter(pk=1).update(state='x')\nEvent.objects.create()\n",
            [],
        ),
    ],
)
def test_the_scan_sees_writes(where: str, source: str, expected: list[str]) -> None:
    planted = ROOT / "minhu" / where / "planted.py"  # read as if it were there; nothing is written
    assert [f"{w.call}() on {w.model}" for w in violations(planted, source)] == expected
