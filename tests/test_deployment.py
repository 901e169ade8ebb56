"""The deployment files agree with the code: compose, Makefile, README, .env.example, CI."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _service(name: str) -> dict:
    return _compose()["services"][name]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=value list form
        return dict(item.split("=", 1) for item in env)
    return env


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else command


def _settings_env_names() -> set[str]:
    """Names read by env("X"), env.str("X"), env.db_url("X"), ... in leadfollow/settings.py."""
    tree = ast.parse((ROOT / "leadfollow" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        reads_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
        )
        first = node.args[0]
        if reads_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, flags=re.MULTILINE))


def test_compose_defines_the_production_services():
    services = _compose()["services"]

    assert {"postgres", "redis", "web", "worker", "beat"} <= services.keys()


def test_compose_uses_postgres_16_and_redis_7():
    assert _service("postgres")["image"].split(":")[1].startswith("16")
    assert _service("redis")["image"].split(":")[1].startswith("7")


def test_compose_backing_services_have_healthchecks():
    assert "pg_isready" in str(_service("postgres")["healthcheck"]["test"])
    assert "ping" in str(_service("redis")["healthcheck"]["test"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_compose_app_service_wires_database_and_redis(name):
    env = _environment(_service(name))

    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert str(env["DEBUG"]).lower() == "false"
    assert env["SECRET_KEY"]
    assert env["ALLOWED_HOSTS"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_compose_app_service_waits_for_healthy_backing_services(name):
    depends_on = _service(name)["depends_on"]

    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_compose_migrates_before_the_app_starts():
    command = _command(_service("migrate"))

    assert command[command.index("manage.py") + 1] == "migrate"
    assert (ROOT / "manage.py").is_file()
    for name in APP_SERVICES:
        condition = _service(name)["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_compose_web_runs_gunicorn_on_the_project_wsgi_module():
    command = _command(_service("web"))
    module = next(arg for arg in command if arg.endswith(":application")).split(":")[0]

    assert command[0] == "gunicorn"
    assert (ROOT / Path(*module.split("."))).with_suffix(".py").is_file()
    assert importlib.util.find_spec(module) is not None


def test_compose_web_health_check_probes_readyz_without_curl():
    test = " ".join(_service("web")["healthcheck"]["test"])

    assert "python" in test
    assert "urllib" in test
    assert "/readyz" in test


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_compose_celery_services_run_the_leadfollow_app(name):
    command = _command(_service(name))

    assert command[:3] == ["celery", "-A", "leadfollow"]
    assert name in command
    assert (ROOT / "leadfollow" / "celery.py").is_file()
    assert importlib.util.find_spec("leadfollow.celery") is not None


def test_dockerfile_runs_gunicorn_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "FROM python:3.11-slim" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.MULTILINE)
    assert "collectstatic" in dockerfile
    assert '"leadfollow.wsgi:application"' in dockerfile


def test_readme_quick_start_commands_are_makefile_targets():
    readme = (ROOT / "README.md").read_text()
    mentioned = set(re.findall(r"\bmake ([a-z][\w-]*)", readme))

    assert {"run", "test"} <= mentioned
    assert mentioned <= _makefile_targets()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_on_the_port_from_the_environment():
    dry_run = subprocess.run(
        ["make", "--dry-run", "run"],
        cwd=ROOT,
        env={**os.environ, "PORT": "8123"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert "runserver 127.0.0.1:8123" in dry_run.stdout


def test_env_example_lists_every_variable_settings_reads():
    names = _settings_env_names()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))

    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "EMAIL_URL"} <= names
    assert names - listed == set()


def test_readme_documents_every_variable_settings_reads():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", readme))

    assert _settings_env_names() - documented == set()


def test_ci_script_is_strict_and_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()

    assert "set -euo pipefail" in script
    assert re.search(r"^\s*make test\b", script, flags=re.MULTILINE)
    assert "--no-skip" in script
