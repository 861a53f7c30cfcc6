"""The Kubernetes manifests render, validate against the API schema and keep our promises."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from gateway.settings import GatewaySettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30"
SERVICES = ("applications", "calculation", "messaging", "meetings", "registers")
CRD_GROUPS = ("postgresql.cnpg.io/",)


def _render(overlay: str) -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (kustomize rendering needs it)")
    out = subprocess.run(["kubectl", "kustomize", str(DEPLOY / "overlays" / overlay)],
                         capture_output=True, text=True, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="module", params=["dev", "production"])
def objects(request):
    return _render(request.param)


def _containers(obj: dict) -> list[dict]:
    spec = obj["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def test_every_object_validates_against_the_kubernetes_schema(objects):
    for obj in objects:
        if obj["apiVersion"].startswith(CRD_GROUPS):
            continue
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_bistand_workloads_are_hardened_and_probed(objects):
    ours = [o for o in objects if o["kind"] == "Deployment"
            and o["metadata"]["name"] in (*SERVICES, "gateway")]
    assert {o["metadata"]["name"] for o in ours} == {*SERVICES, "gateway"}
    for deployment in ours:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in _containers(deployment):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert "memory" in container["resources"]["limits"]
        main = pod["containers"][0]
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert main["livenessProbe"]["httpGet"]["path"] == "/livez"
        assert "--no-proxy-headers" in main["args"]


def test_each_service_migrates_before_it_starts(objects):
    for obj in objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] in SERVICES:
            init = obj["spec"]["template"]["spec"]["initContainers"][0]
            assert init["command"] == ["python", "-m", "kit.migrations", obj["metadata"]["name"]]


def test_only_the_gateway_is_open_to_the_outside(objects):
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "NetworkPolicy"}
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    assert policies["gateway-from-anywhere"]["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "gateway"}


def _settings_class(prefix: str):
    if prefix == "GATEWAY":
        return GatewaySettings
    module = importlib.import_module(f"services.{prefix.lower()}.settings")
    return next(v for k, v in vars(module).items() if k.endswith("Settings") and k != "KitSettings")


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_every_configured_variable_is_a_real_setting(overlay):
    """A typo in a ConfigMap is silently ignored at run time; catch it here."""
    from kit.settings import KitSettings

    objects = _render(overlay)
    keys: set[str] = set()
    for obj in objects:
        if obj["kind"] in ("ConfigMap", "Secret") and obj["metadata"]["name"].startswith("bistand-"):
            keys |= set(obj.get("data", {}))
    for key in sorted(keys):
        prefix, _, field = key.partition("_")
        field = field.lower()
        if prefix == "BISTAND":
            if field.endswith("_url") and field[:-4] in SERVICES or field == "sms_url":
                continue  # service addresses, read by the services that call them
            assert field in KitSettings.model_fields or field in GatewaySettings.model_fields, key
        else:
            assert field in _settings_class(prefix).model_fields, key


def test_message_keys_are_secret_and_valid():
    """Encryption keys live in a Secret, never a ConfigMap; the dev overlay's key opens what it seals."""
    import base64

    from services.messaging.store.crypto import Keyring

    for overlay in ("dev", "production"):
        for obj in _render(overlay):
            if obj["kind"] == "ConfigMap":
                assert "MESSAGING_ENCRYPTION_KEYS" not in obj.get("data", {}), overlay
    secret = next(o for o in _render("dev") if o["kind"] == "Secret" and o["metadata"]["name"].startswith("bistand-"))
    keys = base64.b64decode(secret["data"]["MESSAGING_ENCRYPTION_KEYS"]).decode()
    ring = Keyring.parse(keys)
    assert ring.current_kid == "dev-overlay"
    assert ring.open("dev-overlay", ring.seal(b"hej", b"aad"), b"aad") == b"hej"


SECRETS = ("MESSAGING_ENCRYPTION_KEYS", "MEETINGS_LINK_SECRET", "APPLICATIONS_TRUST_CHECK_SEED",
           "APPLICATIONS_SEALING_KEYS", "CALCULATION_SEALING_KEYS", "MEETINGS_SEALING_KEYS")


def _config(objects: list[dict]) -> dict[str, str]:
    return next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("bistand-config"))[
        "data"]


def test_production_runs_in_production_mode_with_secrets_from_a_secret():
    """The production overlay sets BISTAND_ENV=production; secrets come only from the Secret every container
    loads; with the overlay's configuration alone (no Secret), every service refuses to start, naming them."""
    from kit.settings import InsecureSettings

    objects = _render("production")
    config = _config(objects)
    assert config["BISTAND_ENV"] == "production"
    assert not set(SECRETS) & set(config)
    for obj in objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] in SERVICES:
            for container in _containers(obj):
                assert {"secretRef": {"name": "bistand-secrets"}} in container["envFrom"]
    with pytest.MonkeyPatch.context() as env:
        for key, value in config.items():
            env.setenv(key, value)
        for service in SERVICES:
            settings = _settings_class(service.upper())(database_url="postgresql://u:p@db/x")
            with pytest.raises(InsecureSettings) as refused:
                settings.check_production()
            named = str(refused.value)
            assert all(s in named for s in SECRETS if s.startswith(service.upper())), (service, named)


def test_development_stays_in_development_mode():
    assert _config(_render("dev")).get("BISTAND_ENV", "development") == "development"


def test_every_workload_scales_and_requests_what_scaling_measures(objects):
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"
                   and o["metadata"]["name"] in (*SERVICES, "gateway")}
    scalers = {o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    assert set(scalers) >= set(deployments), "a service without an autoscaler"
    for name, deployment in deployments.items():
        scaler = scalers[name]["spec"]
        assert scaler["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 <= scaler["minReplicas"] < scaler["maxReplicas"]
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            # CPU utilisation is a share of the request: without one the autoscaler cannot act.
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name


def test_production_keeps_two_replicas_of_everything():
    for obj in _render("production"):
        if obj["kind"] == "HorizontalPodAutoscaler":
            assert obj["spec"]["minReplicas"] >= 2, obj["metadata"]["name"]


def test_development_runs_the_registers_simulator_and_points_the_registers_at_it():
    objects = _render("dev")
    sim = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "registers-sim")
    assert sim["spec"]["template"]["spec"]["containers"][0]["command"][:3] == ["python", "-m", "simulators.registers"]
    assert any(o["kind"] == "Service" and o["metadata"]["name"] == "registers-sim" for o in objects)
    config = _config(objects)
    assert config["REGISTERS_SSBTEK_URL"] == "http://registers-sim/ssbtek/v1"
    assert config["REGISTERS_NAVET_URL"] == "http://registers-sim/navet/v1"
    reachable = next(o for o in objects if o["kind"] == "NetworkPolicy"
                     and o["metadata"]["name"] == "dev-simulators-and-db-from-bistand")
    assert "registers-sim" in reachable["spec"]["podSelector"]["matchExpressions"][0]["values"]


def test_production_talks_to_the_registers_over_mutual_tls_with_the_organisation_certificate():
    objects = _render("production")
    config = _config(objects)
    assert config["REGISTERS_SSBTEK_URL"].startswith("https://")
    assert config["REGISTERS_NAVET_URL"].startswith("https://")
    assert not any(o["metadata"]["name"] == "registers-sim" for o in objects)
    registers = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "registers")
    pod = registers["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if v["name"] == "org-certificate"]
    assert volume["secret"]["secretName"] == "registers-org-certificate"
    [mount] = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "org-certificate"]
    assert mount["readOnly"] is True
    directory = mount["mountPath"]
    assert config["REGISTERS_CLIENT_CERT"] == f"{directory}/tls.crt"
    assert config["REGISTERS_CLIENT_KEY"] == f"{directory}/tls.key"


def test_every_server_keeps_idle_connections_longer_than_its_clients(objects):
    """A server that closes an idle keep-alive connection first races the client's next request on it, which fails
    as a 502 at the gateway. Our clients keep idle connections at most 30 s (the gateway), an ingress 60 s: every
    uvicorn waits longer, in Kubernetes, in the image and in the local stack."""
    from devstack.stack import KEEP_ALIVE_SECONDS

    def keep_alive(args: list[str]) -> int:
        assert "--timeout-keep-alive" in args, args
        return int(args[args.index("--timeout-keep-alive") + 1])

    servers = [c for o in objects if o["kind"] == "Deployment" for c in _containers(o)
               if "uvicorn" in c.get("args", []) + c.get("command", [])]
    assert len(servers) >= 6
    for container in servers:
        assert keep_alive(container.get("args", []) + container.get("command", [])) > 60, container["name"]
    image = (DEPLOY / "Dockerfile").read_text()
    cmd = json.loads(next(line for line in image.splitlines() if line.startswith("CMD "))[4:])
    assert keep_alive(cmd) > 60
    assert KEEP_ALIVE_SECONDS > 60
