"""Production mode (BISTAND_ENV=production): no service starts with a missing or public development secret.

The error names the variables to set and never a value."""

from __future__ import annotations

import base64

import pytest

from kit.settings import DEV_SEALING_KEYS, InsecureSettings
from services.applications.app import create_app as create_applications
from services.applications.settings import ApplicationsSettings
from services.calculation.app import create_app as create_calculation
from services.calculation.settings import CalculationSettings
from services.meetings.app import create_app as create_meetings
from services.meetings.settings import MeetingsSettings
from services.messaging.app import create_app as create_messaging
from services.messaging.settings import MessagingSettings
from services.messaging.store.crypto import DEV_KEYS
from services.registers.app import create_app as create_registers
from services.registers.settings import RegistersSettings

DB = "postgresql://bistand:pw@db/bistand"
# Fixed test keys (the same in every xdist worker): 32 bytes each, but no development value.
KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(32, 64))).decode()
SEALING = f"k1:{KEY_A}"
GOOD = {
    "applications": dict(trust_check_seed="a-real-municipal-seed-0123456789", sealing_keys=SEALING),
    "calculation": dict(sealing_keys=SEALING),
    "meetings": dict(link_secret="a-real-link-secret-0123456789abcdef", sealing_keys=SEALING),
    "messaging": dict(encryption_keys=f"k1:{KEY_B}", registers_url="http://registers"),
    "registers": dict(sealing_keys=SEALING),
}
SERVICES = {
    "applications": (ApplicationsSettings, create_applications),
    "calculation": (CalculationSettings, create_calculation),
    "meetings": (MeetingsSettings, create_meetings),
    "messaging": (MessagingSettings, create_messaging),
    "registers": (RegistersSettings, create_registers),
}


def _settings(service: str, **values):
    cls, _ = SERVICES[service]
    return cls(**{"database_url": DB, "env": "production", **values})


@pytest.mark.parametrize(("service", "missing", "variable"), [
    ("applications", "trust_check_seed", "APPLICATIONS_TRUST_CHECK_SEED"),
    ("applications", "sealing_keys", "APPLICATIONS_SEALING_KEYS"),
    ("calculation", "sealing_keys", "CALCULATION_SEALING_KEYS"),
    ("meetings", "link_secret", "MEETINGS_LINK_SECRET"),
    ("meetings", "sealing_keys", "MEETINGS_SEALING_KEYS"),
    ("messaging", "encryption_keys", "MESSAGING_ENCRYPTION_KEYS"),
    ("messaging", "registers_url", "BISTAND_REGISTERS_URL"),
    ("registers", "sealing_keys", "REGISTERS_SEALING_KEYS"),
])
def test_a_service_refuses_to_start_without_each_secret(service, missing, variable):
    values = {k: v for k, v in GOOD[service].items() if k != missing}  # the development default, or nothing
    _, create = SERVICES[service]
    with pytest.raises(InsecureSettings) as refused:
        create(_settings(service, **values))  # what uvicorn --factory calls: the process does not start
    message = str(refused.value)
    assert variable in message and "BISTAND_ENV=production" in message
    for value in (*GOOD[service].values(), DEV_KEYS, "dev-insecure-trust-check-seed", "dev-insecure-meetings-link"):
        assert value not in message


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_with_real_secrets_it_starts(service):
    _, create = SERVICES[service]
    create(_settings(service, **GOOD[service]))


@pytest.mark.parametrize(("service", "field", "value"), [
    ("messaging", "encryption_keys", "prod:" + DEV_KEYS.partition(":")[2]),  # the dev key under another name
    ("messaging", "encryption_keys", "dev-overlay:pHXuHtmuloiw8MdEZX9nd1t1ViDQ6ogL8wk5l+LG+HU="),
    ("meetings", "link_secret", "dev-overlay-meetings-link-secret"),
    ("meetings", "link_secret", "short"),
    ("meetings", "link_secret", ""),
    ("applications", "trust_check_seed", "dev-insecure-trust-check-seed"),
    ("calculation", "sealing_keys", "x:" + KEY_A + ",old:" + DEV_SEALING_KEYS.partition(":")[2]),  # in the ring
    ("calculation", "database_url", "postgresql://postgres:dev-only@postgres:5432/bistand_calculation"),
    ("calculation", "service_client_secret", "dev-calculation"),
])
def test_known_development_values_are_refused(service, field, value):
    settings = _settings(service, **{**GOOD[service], field: value})
    with pytest.raises(InsecureSettings) as refused:
        settings.check_production()
    assert settings.env_name(field) in str(refused.value)
    if value:
        assert value not in str(refused.value)


def test_development_mode_keeps_its_defaults(monkeypatch):
    monkeypatch.delenv("BISTAND_ENV", raising=False)
    settings = MeetingsSettings(database_url=DB)
    assert not settings.is_production
    settings.check_production()  # no refusal outside production
    assert "MEETINGS_LINK_SECRET" in settings.insecure_settings()  # yet it knows what would be refused


def test_the_mode_comes_from_bistand_env(monkeypatch):
    monkeypatch.setenv("BISTAND_ENV", "production")
    assert CalculationSettings(database_url=DB).is_production
    monkeypatch.setenv("BISTAND_ENV", "prod")
    with pytest.raises(ValueError, match="env"):
        CalculationSettings(database_url=DB)
