"""docker/: every compose file (and the documented overlays) is valid for ``docker-compose config``
(Debian's docker-compose, installed by scripts/bootstrap; no Docker engine runs here), and what the
files name exists and agrees: build inputs of the Dockerfile, mounted configs, service names in
the proxy, Prometheus and SRS configs, metrics on the dashboard, the forward template."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from stream_server.forward_targets import check_target, expand_template

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
ENV = {"LC_SECRET": "compose-check-secret"}
COMBOS = {
    "single": ["compose.yml"],
    "single+edge": ["compose.yml", "compose.edge.yml"],
    "cluster": ["compose.cluster.yml"],
    "cluster+edge+load": ["compose.cluster.yml", "compose.edge.yml", "compose.load.yml"],
    "load": ["compose.load.yml"],
}


def _compose(files: list[str], *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is missing: scripts/bootstrap installs it (Debian package docker-compose)"
    cmd = [binary, *(a for f in files for a in ("-f", str(DOCKER / f))), "config",
           *args]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LOCUST_", "POSTGRES_", "GRAFANA_"))}
    env = {**base, **(ENV if env is None else env)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, cwd=REPO)


@pytest.fixture(scope="module")
def configs() -> dict[str, dict[str, Any]]:
    out = {}
    for name, files in COMBOS.items():
        quiet = _compose(files, "-q")
        assert quiet.returncode == 0, f"{name}: {quiet.stderr}"
        full = _compose(files)
        assert full.returncode == 0, f"{name}: {full.stderr}"
        out[name] = yaml.safe_load(full.stdout)
    return out


def test_every_compose_file_in_docker_is_checked() -> None:
    assert {p.name for p in DOCKER.glob("compose*.yml")} == {f for files in COMBOS.values() for f in files}


def test_the_cluster_needs_one_shared_secret() -> None:
    missing = _compose(["compose.cluster.yml"], "-q", env={})
    assert missing.returncode != 0 and "LC_SECRET" in missing.stderr


def test_bind_mounts_and_build_contexts_exist(configs: dict[str, dict[str, Any]]) -> None:
    for name, config in configs.items():
        for sname, service in config["services"].items():
            for volume in service.get("volumes", []):
                spec = volume if isinstance(volume, str) else f"{volume.get('source')}:{volume.get('target')}"
                source = spec.split(":", 1)[0]
                if source.startswith("/"):
                    assert Path(source).exists(), f"{name}/{sname}: {source} is mounted but missing"
                    assert Path(source).resolve().is_relative_to(DOCKER), f"{name}/{sname}: mounts {source}"
            build = service.get("build")
            if build:
                assert Path(build["context"]).resolve() == REPO
                assert (REPO / build["dockerfile"]).is_file()


def test_single_node(configs: dict[str, dict[str, Any]]) -> None:
    services = configs["single"]["services"]
    assert set(services) == {"app", "redis", "postgres", "prometheus", "grafana"}
    redis = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis and "--appendfsync everysec" in redis
    env = services["app"]["environment"]
    assert env["REDIS_URL"] == "redis://redis:6379/0" and "@postgres:5432/" in env["DATABASE_URL"]
    assert {p["target"] for p in services["app"]["ports"]} == {8080, 1935}
    assert not services["redis"].get("ports") and not services["postgres"].get("ports")  # never published
    scrape = yaml.safe_load((DOCKER / "prometheus/prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape["metrics_path"] == "/metrics" and scrape["static_configs"][0]["targets"] == ["app:8080"]


def test_cluster(configs: dict[str, dict[str, Any]]) -> None:
    services = configs["cluster"]["services"]
    nodes = sorted(s for s in services if re.fullmatch(r"redis-\d", s))
    assert nodes == [f"redis-{i}" for i in range(1, 7)]
    node_conf = (DOCKER / "redis/cluster-node.conf").read_text()
    assert re.search(r"^cluster-enabled yes$", node_conf, re.M)
    assert re.search(r"^appendfsync everysec$", node_conf, re.M)
    init = (DOCKER / "redis/redis-cluster-init.sh").read_text()
    assert all(f"{n}:6379" in init for n in nodes) and "--cluster-replicas 1" in init
    app = services["app"]
    assert app["scale"] >= 2 and app["command"][-4:] == ["--workers", "2", "--data-dir", "/data"]
    env = app["environment"]
    assert env["LC_BUY_DURABILITY"] == "replica" and env["LC_SECRET"] == ENV["LC_SECRET"]
    assert env["REDIS_URL"] == "redis+cluster://redis-1:6379,redis-2:6379,redis-3:6379"
    assert app["depends_on"]["redis-init"]["condition"] == "service_completed_successfully"
    assert not app.get("ports")  # only the proxy is published
    nginx = (DOCKER / "nginx/nginx.conf").read_text()
    assert nginx.count("{") == nginx.count("}")
    assert "server app:8080 resolve;" in nginx and "server app:1935 resolve;" in nginx
    assert "proxy_buffering off" in nginx and "Upgrade $http_upgrade" in nginx
    dns = yaml.safe_load((DOCKER / "prometheus/prometheus.cluster.yml").read_text())["scrape_configs"][0]
    assert dns["dns_sd_configs"][0]["names"] == ["app"] and dns["dns_sd_configs"][0]["port"] == 8080


def test_load_runs_the_locustfile(configs: dict[str, dict[str, Any]]) -> None:
    services = configs["load"]["services"]
    master, worker = services["locust-master"], services["locust-worker"]
    for s in (master, worker):
        assert s["command"][:3] == ["locust", "-f", "loadtests/locustfile.py"] and s["build"]["target"] == "load"
    for part in master["command"][2].split(","):  # the locustfiles it names are in the image's tree
        assert (REPO / part).is_file(), part
    assert "--master" in master["command"] and worker["command"][-2:] == ["--master-host", "locust-master"]
    assert configs["cluster+edge+load"]["services"]["locust-master"]["environment"]["LOCUST_HOST"] == \
        "http://proxy:8080"


def _srs(conf: str) -> str:
    return (DOCKER / "srs" / conf).read_text()


def test_srs_edge_pulls_from_the_origin_our_rooms_are_forwarded_to(configs: dict[str, dict[str, Any]]) -> None:
    services = configs["single+edge"]["services"]
    assert services["srs-edge"]["image"] == services["srs-origin"]["image"] == "ossrs/srs:5"
    template = services["app"]["environment"]["LC_FORWARD_URL_TEMPLATE"]
    target = check_target(expand_template(template, "r1"), trusted=True)
    assert target == "rtmp://srs-origin:1935/live/r1"
    edge = _srs("edge.conf")
    assert re.search(r"mode\s+remote;", edge) and re.search(r"origin\s+srs-origin:1935;", edge)
    assert re.search(r"^listen\s+1935;", _srs("origin.conf"), re.M)
    assert "[vhost]/[app]/[stream].flv" in edge
    for conf in ("edge.conf", "origin.conf"):
        assert _srs(conf).count("{") == _srs(conf).count("}")
    assert configs["cluster+edge+load"]["services"]["app"]["environment"]["LC_FORWARD_URL_TEMPLATE"] == template


def _dockerfile() -> str:
    return (DOCKER / "Dockerfile").read_text()


def test_dockerfile_inputs_exist_and_the_image_is_slim_non_root() -> None:
    text = _dockerfile()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(f == "python:3.11-slim" for f in froms)
    for src in re.findall(r"^COPY\s+(?!--from)(.+?)\s+\S+$", text, re.M):
        for path in src.split():
            assert (REPO / path).exists(), f"COPY {path}: missing"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {Path(p).name for src in re.findall(r"^COPY\s+(\S+)\s+\./\S+$", text, re.M) for p in [src]}
    assert packages <= copied, f"packages not copied into the image: {packages - copied}"
    app_stage = text[text.rindex("FROM "):]
    assert re.search(r"^USER\s+(?!root|0\b)\S+", app_stage, re.M)
    assert re.search(r"^EXPOSE\s+8080\s+1935$", app_stage, re.M)
    assert "HEALTHCHECK" in app_stage and "/healthz" in app_stage
    assert "livecommerce" in pyproject["project"]["scripts"] and '"livecommerce", "serve"' in app_stage
    assert any(d.startswith("imageio-ffmpeg") for d in pyproject["project"]["dependencies"])  # ffmpeg inside
    assert (REPO / ".dockerignore").is_file() and ".venv" in (REPO / ".dockerignore").read_text()


def _exported_metric_names() -> tuple[set[str], tuple[str, ...]]:
    """Metric names in the sources, and prefixes of names built with f-strings (``f"lc_x_{field}"``)."""
    names: set[str] = set()
    prefixes: set[str] = set()
    for path in REPO.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "loadtests" in path.parts:
            continue
        text = path.read_text()
        names.update(re.findall(r"[\"'](lc_[a-z0-9_]+)[\"']", text))
        prefixes.update(p for p in re.findall(r"f[\"'](lc_[a-z0-9_]+)\{", text) if len(p) > len("lc_x_"))
    return names, tuple(prefixes)


def test_grafana_dashboard_uses_the_provisioned_datasource_and_real_metrics() -> None:
    dashboard = json.loads((DOCKER / "grafana/dashboards/livecommerce.json").read_text())
    datasource = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    provider = yaml.safe_load((DOCKER / "grafana/provisioning/dashboards/livecommerce.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    titles = {p["title"] for p in dashboard["panels"]}
    assert {"Buy attempts by outcome", "Buy latency (POST .../orders)", "Remaining stock per sale", "Viewers",
            "Rooms live", "Ledger lag"} <= titles
    exported, prefixes = _exported_metric_names()
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid
            for metric in re.findall(r"\blc_[a-z0-9_]+", target["expr"]):
                base = re.sub(r"_(total|bucket|count|sum)$", "", metric)
                known = metric in exported or base in exported or base.startswith(prefixes)
                assert known, f"{panel['title']}: {metric} is not exported"
