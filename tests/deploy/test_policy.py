"""The deployment passes a policy scan (checkov) and the Dockerfile a linter (hadolint).

Every exception is an annotation on the resource with its reason (deploy/base/*.yaml); a new finding fails here.
`make test` installs both tools into .venv-tools and points BISTAND_POLICY_TOOLS at them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _tool(name: str) -> str:
    folder = os.environ.get("BISTAND_POLICY_TOOLS")
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    if found is None:
        if folder:
            pytest.fail(f"{name} is missing from {folder}: run `make test` (it installs deploy/tools.txt)")
        pytest.skip(f"{name} is not installed (make test installs it)")
    return found


def test_the_production_manifests_pass_the_policy_scan(tmp_path):
    """What ops applies to real data. (The dev overlay adds simulators and an upstream PostgreSQL image that runs as
    root: a developer's convenience, never deployed with real data, so not scanned.)"""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (kustomize rendering needs it)")
    rendered = tmp_path / "production.yaml"
    rendered.write_text(subprocess.run(["kubectl", "kustomize", str(DEPLOY / "overlays" / "production")],
                                       capture_output=True, text=True, check=True).stdout)
    result = subprocess.run([_tool("checkov"), "-f", str(rendered), "--framework", "kubernetes", "--compact",
                             "--quiet", "--skip-download"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Passed checks" in result.stdout  # it did scan


def test_the_dockerfile_passes_hadolint():
    result = subprocess.run([_tool("hadolint"), str(DEPLOY / "Dockerfile")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
