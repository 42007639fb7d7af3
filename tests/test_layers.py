"""The layer contract (.importlinter, run by ``make checks``) holds on the tree and bites.

Each breaking case copies the apps' sources to a temporary directory, adds one import that the
contract forbids and runs ``lint-imports`` there: it must fail and name that import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "thotnot_members",
    "pages",
    "devdata",
    "onboarding",
    "api",
    "accounts",
    "reports",
    "members",
    "branches",
    "common",
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _all_but_python(folder: str, names: list[str]) -> list[str]:
    return [
        n
        for n in names
        if n == "__pycache__" or not (n.endswith(".py") or (Path(folder) / n).is_dir())
    ]


@pytest.fixture
def copy(tmp_path) -> Path:
    """The contract and the apps' Python sources, copied to ``tmp_path``."""
    shutil.copy(ROOT / ".importlinter", tmp_path)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=_all_but_python,
        )
    return tmp_path


def test_the_tree_keeps_the_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_copy_keeps_the_contracts(copy):
    """The copy alone passes, so that each failure below is the added import's."""
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("branches._upward", "members.models"),
        ("branches._upward", "reports.figures"),
        ("members._upward", "reports.figures"),
        ("members._upward", "pages.views"),
        ("reports._upward", "devdata.demo"),
        ("common._upward", "branches.models"),
        ("thotnot_members._upward", "members.models"),
        ("pages._upward", "devdata.demo"),  # siblings: independent of each other
    ],
)
def test_an_upward_import_breaks_the_layers(copy, module, imported):
    package, name = module.split(".")
    (copy / package / f"{name}.py").write_text(f"import {imported}  # the probe\n")
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Apps import only the layers below them BROKEN" in result.stdout
    assert f"{module} -> {imported}" in result.stdout


def test_a_model_importing_a_view_breaks_the_forbidden_contract(copy):
    models = copy / "reports" / "models.py"
    models.write_text(models.read_text() + "\nfrom . import views  # the probe\n")
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Models import no view BROKEN" in result.stdout
    assert "reports.models -> reports.views" in result.stdout
