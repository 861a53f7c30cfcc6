"""The README documents every environment variable the code reads."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from gateway.settings import GatewaySettings
from simulators.idp.app import IdpSettings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _service_settings():
    for service in ("applications", "calculation", "messaging", "meetings", "registers"):
        module = importlib.import_module(f"services.{service}.settings")
        yield next(v for k, v in vars(module).items() if k.endswith("Settings") and k != "KitSettings")


@pytest.mark.parametrize("settings_cls", [*_service_settings(), GatewaySettings, IdpSettings],
                         ids=lambda c: c.__name__)
def test_every_setting_is_documented(settings_cls):
    missing = [name.upper() for name in settings_cls.model_fields if name.upper() not in README]
    assert not missing, f"document these in README.md: {missing}"


def test_the_two_commands_come_first():
    start = README.index("## Start")
    assert README.index("make run", start) < README.index("## Architecture")
    assert README.index("make test", start) < README.index("## Architecture")
