"""The architecture rules hold: the import-linter contracts in pyproject.toml ([tool.importlinter]) are kept.

And they are not kept vacuously: the same contracts, run on a small tree that breaks each of them once, are all
broken.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _lint_imports() -> str | None:
    """The lint-imports of the venv running the tests first (`make install` puts it there), else one on PATH."""
    beside = Path(sys.executable).parent / "lint-imports"  # not resolved: a venv's python is a symlink
    return str(beside) if beside.exists() else shutil.which("lint-imports")


LINT_IMPORTS = _lint_imports()
pytestmark = pytest.mark.skipif(LINT_IMPORTS is None, reason="lint-imports is not installed (import-linter, in the "
                                                              "dev extras: `make install`)")


def _run(cwd: Path) -> tuple[int, str, tuple[int, int]]:
    """lint-imports in ``cwd`` on the pyproject.toml there, with only ``cwd`` to import from."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    output = done.stdout + done.stderr
    summary = re.search(r"Contracts: (\d+) kept, (\d+) broken", output)
    counts = (int(summary[1]), int(summary[2])) if summary else (-1, -1)
    return done.returncode, output, counts


def test_the_project_keeps_every_contract():
    returncode, output, counts = _run(ROOT)
    assert returncode == 0, output
    assert counts == (len(CONFIG["contracts"]), 0), output


# One breach of each contract; the tree has every root package and service the contracts name.
BREACHES = {
    "services/messaging/integration.py": "import services.applications.domain\n",  # another service
    "services/meetings/integration.py": "import simulators.idp\n",  # a simulator
    "kit/bad.py": "import devstack\n",  # kit depends on nothing of ours
    "values/bad.py": "import kit\n",  # values are below kit
    "services/calculation/domain/bad.py": "import httpx\n",  # the domain is pure
    "services/applications/api/bad.py": "from services.applications import store\n",  # the api calls the service
    "gateway/bad.py": "import services.calculation\n",  # the gateway knows no service's code
}


def _toy_tree(root: Path) -> None:
    for package in CONFIG["root_packages"]:
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
    for service in ("applications", "calculation", "meetings", "messaging", "registers"):
        for part in ("api", "domain", "service"):
            (root / "services" / service / part).mkdir(parents=True)
            (root / "services" / service / part / "__init__.py").write_text("")
        (root / "services" / service / "__init__.py").write_text("")
        (root / "services" / service / "store.py").write_text("")
    (root / "simulators" / "idp.py").write_text("")
    for path, source in BREACHES.items():
        (root / path).write_text(source)


def _toml(value: object) -> str:
    # JSON's strings, lists and booleans are TOML's too (all this configuration holds).
    return json.dumps(value, ensure_ascii=False)


def test_a_forbidden_import_breaks_its_contract(tmp_path):
    _toy_tree(tmp_path)
    lines = ["[tool.importlinter]", *(f"{k} = {_toml(v)}" for k, v in CONFIG.items() if k != "contracts")]
    for contract in CONFIG["contracts"]:
        # Today's exceptions are the project's, not the toy's.
        kept = {k: v for k, v in contract.items() if k not in ("ignore_imports", "unmatched_ignore_imports_alerting")}
        lines += ["", "[[tool.importlinter.contracts]]", *(f"{k} = {_toml(v)}" for k, v in kept.items())]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")

    returncode, output, counts = _run(tmp_path)

    assert returncode != 0, output
    assert counts == (0, len(CONFIG["contracts"])), output
    for path, source in BREACHES.items():
        module = path.removesuffix(".py").replace("/", ".")
        imported = source.split()[1] if source.startswith("import") else f"{source.split()[1]}.{source.split()[3]}"
        assert re.search(rf"{re.escape(module)} -> {re.escape(imported)}\b", output), (path, output)


# --- no import loop hidden inside a function ---------------------------------------------------------------------

OURS = ("services", "kit", "values", "contracts", "gateway")


def _hidden_imports(source: str) -> list[str]:
    """Our modules imported anywhere but at a module's top level (where import-linter and readers see them)."""
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    hidden = []
    for node in ast.walk(tree):
        names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        hidden += [n for n in names if n.split(".")[0] in OURS and id(node) not in top]
    return hidden


def test_no_module_of_ours_is_imported_inside_a_function():
    found = {str(path.relative_to(ROOT)): hidden for package in OURS for path in (ROOT / package).rglob("*.py")
             if (hidden := _hidden_imports(path.read_text()))}
    assert found == {}


def test_a_hidden_import_is_seen():
    assert _hidden_imports("def f():\n    from services.x import y\n") == ["services.x"]
    assert _hidden_imports("from services.x import y\nimport json\n") == []
