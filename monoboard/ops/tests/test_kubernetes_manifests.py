"""deploy/kubernetes, checked without a cluster.

Every overlay is rendered (monoboard/ops/manifests.py, the part of kustomize
the overlays use), every document of a built-in kind is validated against the
Kubernetes API schemas (the kubernetes-validate package, strict: unknown
fields fail) for the oldest and newest release it ships a schema for that we
support, the operators' documents against the field names in
data/crd_fields.yaml, and the rendered YAML is read for the stage-5 policy.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type hints
import pytest
import yaml
from django.conf import settings
from django.db import connection
from django.utils import timezone

from monoboard.ops import simulate
from monoboard.ops.manifests import ManifestError, render
from monoboard.ops.supervisor import STOP_TIMEOUT_S

ROOT = Path(settings.BASE_DIR)
KUBE = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(p.name for p in (KUBE / "overlays").iterdir() if p.is_dir())
CRDS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "data" / "crd_fields.yaml").read_text()
)["kinds"]
#: The Kubernetes releases the manifests must validate against.
VERSIONS = ("1.30", "1.37")
APP_COMPONENTS = ("web", "events", "worker")
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)


def rendered(overlay: str) -> list[dict[str, Any]]:
    return render(KUBE / "overlays" / overlay)


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def app_deployments(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in docs
        if d["kind"] == "Deployment"
        and d["metadata"]["labels"]["app.kubernetes.io/name"] == "monoboard"
    }


def test_there_are_overlays_for_both_database_choices() -> None:
    assert OVERLAYS == ["cloudnative-pg", "managed-database"]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", VERSIONS)
def test_every_builtin_document_validates_against_the_api_schemas(
    overlay: str, version: str
) -> None:
    checked = 0
    for doc in rendered(overlay):
        if doc["apiVersion"].split("/")[0] in ("keda.sh", "postgresql.cnpg.io"):
            continue
        kubernetes_validate.validate(doc, version, strict=True)
        checked += 1
    assert checked >= 15


def test_the_validation_does_fail_on_a_misspelt_field() -> None:
    web = find(rendered("managed-database"), "Deployment", "monoboard-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, VERSIONS[-1], strict=True)


def crd_problems(doc: dict[str, Any]) -> list[str]:
    """Keys the operator does not declare, bad enum values, missing required fields."""
    spec = CRDS[f"{doc['apiVersion']} {doc['kind']}"]
    fields: dict[str, Any] = spec["fields"]
    problems: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, path)
            return
        if path in spec.get("enums", {}) and value not in spec["enums"][path]:
            problems.append(f"{path}: {value!r} is not one of {spec['enums'][path]}")
        if path in spec.get("patterns", {}) and not re.match(spec["patterns"][path], str(value)):
            problems.append(f"{path}: {value!r} does not match {spec['patterns'][path]}")
        if not isinstance(value, dict):
            return
        allowed = fields.get(path)
        if allowed is None:
            problems.append(f"{path}: no field list for this object")
            return
        if allowed == "*":
            return
        for key, child in value.items():
            if key not in allowed:
                problems.append(f"{path or '(top)'}: unknown field {key!r}")
            else:
                walk(child, f"{path}.{key}" if path else key)

    walk(doc, "")
    for required in spec.get("required", []):
        node: Any = doc
        for part in required.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, "", []):
            problems.append(f"{required}: required")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_operator_documents_use_only_the_operators_field_names(overlay: str) -> None:
    custom = [
        d
        for d in rendered(overlay)
        if d["apiVersion"].split("/")[0] in ("keda.sh", "postgresql.cnpg.io")
    ]
    kinds = {d["kind"] for d in custom}
    assert {"ScaledObject", "TriggerAuthentication"} <= kinds
    if overlay == "cloudnative-pg":
        assert {"Cluster", "Pooler", "ScheduledBackup"} <= kinds
    for doc in custom:
        assert crd_problems(doc) == [], doc["kind"]


def test_the_crd_check_does_fail_on_a_misspelt_field() -> None:
    cluster = find(rendered("cloudnative-pg"), "Cluster", "monoboard-db")
    cluster["spec"]["storage"]["sizee"] = cluster["spec"]["storage"].pop("size")
    cluster["spec"]["backup"]["retentionPolicy"] = "30 days"
    problems = crd_problems(cluster)
    assert "spec.storage: unknown field 'sizee'" in problems
    assert "spec.storage.size: required" in problems
    assert any(p.startswith("spec.backup.retentionPolicy") for p in problems)


def test_cloudnative_pg_runs_a_primary_two_replicas_a_transaction_pooler_and_backups() -> None:
    docs = rendered("cloudnative-pg")
    cluster = find(docs, "Cluster", "monoboard-db")
    assert cluster["spec"]["instances"] == 3
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")
    pooler = find(docs, "Pooler", "monoboard-db-pooler")
    assert pooler["spec"]["cluster"]["name"] == "monoboard-db"
    assert pooler["spec"]["pgbouncer"]["poolMode"] == "transaction"
    backup = find(docs, "ScheduledBackup", "monoboard-db-nightly")
    assert backup["spec"]["cluster"]["name"] == "monoboard-db"
    config = find(docs, "ConfigMap", "monoboard-config")["data"]
    assert config["DB_POOL"] == "pgbouncer"
    for component, deployment in app_deployments(docs).items():
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "@monoboard-db-pooler:5432/" in env["DATABASE_URL"]["value"], component
        assert env["DATABASE_DIRECT_URL"]["valueFrom"]["secretKeyRef"]["name"] == "monoboard-db-app"


def test_the_web_autoscaler_is_the_seeds_policy_and_the_simulations() -> None:
    hpa = find(rendered("managed-database"), "HorizontalPodAutoscaler", "monoboard-web")
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "monoboard-web",
    }
    assert spec["minReplicas"] == simulate.MIN_INSTANCES == 2
    read = simulate.HpaSpec.from_manifest(hpa)
    # Out above 70 %: the HPA acts past its 10 % tolerance.
    assert 69.0 <= read.target_utilization * (1 + simulate.HPA_TOLERANCE) <= 70.0
    # At most one step out per 3 minutes, after a minute above; in only to the
    # highest need of the last 10 minutes, one pod per 10 minutes.
    assert read.up.stabilization_s == 60
    assert {p.period_s for p in read.up.policies} == {simulate.COOL_DOWN_AFTER_OUT * 60}
    assert read.down.stabilization_s == simulate.COOL_DOWN_AFTER_IN * 60
    assert read.down.policies == (simulate.HpaScalingPolicy("Pods", 1, 600),)
    # `advise --simulate` replays exactly this autoscaler.
    assert read == simulate.HpaSpec()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_drain_and_disruption_budgets(overlay: str) -> None:
    docs = rendered(overlay)
    apps = app_deployments(docs)
    assert set(apps) == set(APP_COMPONENTS)
    for component in ("web", "events"):
        pod = apps[component]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        # preStop, then serve's drain (STOP_TIMEOUT_S) must fit in the grace period.
        pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
        assert pod["terminationGracePeriodSeconds"] >= pre_stop + STOP_TIMEOUT_S + 5
        assert f"--roles {component}" in " ".join(container["command"])
        budget = find(docs, "PodDisruptionBudget", f"monoboard-{component}")
        assert budget["spec"]["maxUnavailable"] == 1
        assert (
            budget["spec"]["selector"]["matchLabels"]
            == apps[component]["spec"]["selector"]["matchLabels"]
        )
    assert apps["events"]["spec"]["replicas"] >= 2
    # The HPA and KEDA own the web and worker counts.
    assert "replicas" not in apps["web"]["spec"]
    assert "replicas" not in apps["worker"]["spec"]
    scaled = find(docs, "ScaledObject", "monoboard-worker")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "monoboard-worker"
    assert scaled["spec"]["minReplicaCount"] >= 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(overlay: str) -> None:
    for doc in rendered(overlay):
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            resources = container["resources"]
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[part]), (doc["metadata"]["name"], part)
    web = find(rendered(overlay), "Deployment", "monoboard-web")
    resources = web["spec"]["template"]["spec"]["containers"][0]["resources"]
    # The HPA's utilisation is a share of the request: equal to the limit, so
    # 63 % means 63 % of what the pod may use.
    assert resources["requests"]["cpu"] == resources["limits"]["cpu"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_once_under_a_lock_before_any_pod_serves(overlay: str) -> None:
    for component, deployment in app_deployments(rendered(overlay)).items():
        init = deployment["spec"]["template"]["spec"]["initContainers"]
        assert [c["command"] for c in init] == [["python", "manage.py", "migrate_once"]], component
        assert init[0]["image"] == deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def _env_values(doc: dict[str, Any]) -> list[tuple[str, str]]:
    pod = doc.get("spec", {}).get("template", {}).get("spec", {})
    out = []
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        for env in container.get("env", []):
            if "value" in env:
                out.append((env["name"], str(env["value"])))
    return out


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_value_is_in_the_manifests(overlay: str) -> None:
    docs = rendered(overlay)
    assert not [d for d in docs if d["kind"] == "Secret"]
    url_with_password = re.compile(r"://[^:/@\s]+:([^@\s]+)@")
    for doc in docs:
        values = _env_values(doc)
        if doc["kind"] == "ConfigMap":
            values += [(k, str(v)) for k, v in doc.get("data", {}).items() if k != "nginx.conf"]
        for name, value in values:
            assert not SECRET_WORDS.search(name), f"{doc['metadata']['name']}: {name} is set"
            for password in url_with_password.findall(value):
                assert re.fullmatch(r"\$\([A-Z_]+\)", password), f"{name} holds a password"
    text = "\n".join(yaml.safe_dump(d) for d in docs)
    assert "SECRET_KEY:" not in text


def test_the_edge_keeps_the_cache_rules_of_the_nginx_template() -> None:
    edge = find(rendered("managed-database"), "ConfigMap", "monoboard-edge")["data"]["nginx.conf"]
    template = (ROOT / "deploy" / "nginx" / "monoboard.conf.template").read_text()
    for line in (
        "proxy_cache_bypass $cookie_sessionid $http_authorization $monoboard_personal_path;",
        "proxy_no_cache $cookie_sessionid $http_authorization $monoboard_personal_path;",
        "~^/(api|events|accounts|settings|notifications|jobs|django-admin)/ 1;",
        "proxy_cache_use_stale updating error timeout http_500 http_502 http_503;",
        "proxy_next_upstream error timeout http_502 http_503 non_idempotent;",
    ):
        assert line in template and line in edge, line
    config = find(rendered("managed-database"), "ConfigMap", "monoboard-config")["data"]
    assert f"inactive={config['EDGE_CACHE_SECONDS']}s" in edge


def test_the_configuration_is_one_the_product_accepts(tmp_path: Path) -> None:
    """`manage.py check` with the environment a web pod gets (dummy secrets)."""
    docs = rendered("managed-database")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "DB_", "REDIS_"))
    }
    env.update(find(docs, "ConfigMap", "monoboard-config")["data"])
    env.update(
        SECRET_KEY="k" * 50,
        DATABASE_URL="postgres://monoboard:pw@db.invalid:5432/monoboard",
        DATABASE_DIRECT_URL="postgres://monoboard:pw@db.invalid:5432/monoboard",
        MONOBOARD_DATA_DIR=str(tmp_path),
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.django_db
def test_the_keda_query_counts_the_jobs_the_advisor_counts() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger's query is PostgreSQL's (run under withdb --via postgres)")
    from django_tasks_db.models import DBTaskResult

    from monoboard.jobs.selectors import backlog
    from monoboard.ops.tasks import prune_metrics

    scaled = find(rendered("cloudnative-pg"), "ScaledObject", "monoboard-worker")
    query = scaled["spec"]["triggers"][0]["metadata"]["query"]
    for _ in range(3):
        prune_metrics.enqueue()
    DBTaskResult.objects.update(status="READY")
    later = DBTaskResult.objects.order_by("id").first()
    assert later is not None
    DBTaskResult.objects.filter(pk=later.pk).update(run_after=timezone.now() + timedelta(hours=1))
    with connection.cursor() as cursor:
        cursor.execute(query)
        row = cursor.fetchone()
    assert row is not None
    assert row[0] == backlog().ready == 2


def test_the_loader_refuses_what_it_cannot_render(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [a.yaml]\nnamePrefix: x-\n")
    (tmp_path / "a.yaml").write_text("kind: ConfigMap\nmetadata: {name: a}\n")
    with pytest.raises(ManifestError, match="namePrefix"):
        render(tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [a.yaml]\npatches:\n  - path: p.yaml\n    target: {kind: ConfigMap}\n"
    )
    (tmp_path / "p.yaml").write_text("- {op: replace, path: /data/missing, value: 1}\n")
    with pytest.raises(ManifestError, match="no field 'data'"):
        render(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "monoboard.ops.manifests", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
