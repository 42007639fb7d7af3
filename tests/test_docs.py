"""docs/rules.md stays true: every function, constant and test it names exists.

The index is how a newcomer finds where a rule is enforced; a row that names a moved or
renamed function or test would send them nowhere, so the suite checks every name in it.
"""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
CODE = re.compile(r"`((?:branches|common|devdata|members|pages|reports)(?:\.\w+)+)`")
TEST = re.compile(r"`([\w/]+\.py)?::(\w+)(?:\[[^\]]*\])?`")


def _table_cells() -> list[str]:
    return [line for line in RULES.splitlines() if line.startswith("|")]


def _test_references() -> list[tuple[str, str]]:
    found = []
    for line in _table_cells():
        current = None
        for match in TEST.finditer(line):
            current = match.group(1) or current
            found.append((current, match.group(2)))
    return found


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_the_index_names_tests_and_code():
    assert len(_test_references()) > 50
    assert len(CODE.findall(RULES)) > 20


@pytest.mark.parametrize(("path", "name"), _test_references())
def test_every_test_named_in_the_rules_index_exists(path, name):
    assert path, f"::{name} has no file before it on its row"
    source = ROOT / "tests" / path
    assert source.exists(), f"docs/rules.md names tests/{path}, which does not exist"
    assert re.search(rf"^\s*(?:async )?def {name}\b", source.read_text(), re.M), (
        f"docs/rules.md names tests/{path}::{name}, which does not exist"
    )


@pytest.mark.parametrize("dotted", sorted(set(CODE.findall(RULES))))
def test_every_function_named_in_the_rules_index_exists(dotted):
    assert _resolves(dotted), f"docs/rules.md names {dotted}, which does not exist"
