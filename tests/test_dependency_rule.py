"""The dependency rule of DESIGN.md, checked over every module's imports (static, no Django needed).

- `core` depends on nothing else of Pilotis;
- `plans` depends on `core`, and on `accounts.roles` alone (who holds which role in a plan);
- every other app may depend on `plans` and `core`, and on another app only through that app's
  small public module (`accounts.roles`, `observatory.api`…), never its internals;
- `reports`, `api` and `home` (each person's page of things to do) read from all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pilotis"

# What any app may import from another, besides `plans` and `core`.
PUBLIC_MODULES = {
    "accounts.roles",
    "followup.api",
    "observatory.api",
    "directory.api",
    "governance.api",
}
# Apps that read from all the others: the reports, the API, and the home page that gathers
# what each person has to do (read-only, like the reports).
READ_ALL = {"reports", "api", "home"}


def apps() -> list[str]:
    return sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, 'app.module…') of every import of a Pilotis module in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pilotis":
                found += [(node.lineno, alias.name) for alias in node.names]
            elif node.module.startswith("pilotis."):
                module = node.module.removeprefix("pilotis.")
                # "from pilotis.accounts import roles" imports the module accounts.roles.
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name.removeprefix("pilotis."))
                for alias in node.names
                if alias.name.startswith("pilotis.")
            ]
    return found


def allowed(app: str, target: str) -> bool:
    other = target.split(".")[0]
    if other in (app, "core") or other not in apps():
        return True  # its own modules, core, or a project-level module (settings, urls)
    if app == "core":
        return False
    if app == "plans":
        return target == "accounts.roles" or target.startswith("accounts.roles.")
    if app in READ_ALL or other == "plans":
        return True
    return any(target == m or target.startswith(m + ".") for m in PUBLIC_MODULES)


def violations(app: str) -> list[str]:
    out = []
    for path in sorted((SRC / app).rglob("*.py")):
        for line, target in imports_of(path):
            if not allowed(app, target):
                out.append(f"{path.relative_to(SRC)}:{line} imports pilotis.{target}")
    return out


@pytest.mark.parametrize("app", apps())
def test_app_respects_the_dependency_rule(app):
    assert violations(app) == []


def test_the_rule_catches_a_forbidden_import():
    # The check itself must be able to fail: plans reaching into importers, followup into
    # accounts' models.
    assert not allowed("plans", "importers.persist.save_draft")
    assert not allowed("plans", "accounts.models.Role")
    assert not allowed("followup", "accounts.models.Membership")
    assert not allowed("core", "plans.models")
    assert allowed("plans", "accounts.roles")
    assert allowed("followup", "plans.models.Fiche")
    assert allowed("reports", "followup.rollups")
    assert allowed("importers", "accounts.roles")
