import re
import subprocess
import tomllib

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
VALIDATOR = ROOT / "scripts" / "node" / "node_modules" / ".bin" / "action-validator"


def load_workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def step_texts(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_railway_web_service_config():
    config = tomllib.loads((ROOT / "railway.toml").read_text())
    assert config["build"]["builder"] in {"RAILPACK", "NIXPACKS", "DOCKERFILE"}
    assert config["build"]["buildCommand"].startswith("uv sync --frozen")
    deploy = config["deploy"]
    assert deploy["startCommand"] == "uv run uvicorn src.main:app --host 0.0.0.0 --port $PORT"
    assert deploy["healthcheckPath"] == "/health"
    assert deploy["healthcheckTimeout"] == 30
    assert deploy["restartPolicyType"] == "ON_FAILURE"
    assert deploy["restartPolicyMaxRetries"] == 3
    assert set(config) <= {"build", "deploy"}, "config-as-code has no other top-level tables"


def test_ci_workflow_lints_types_tests_then_deploys_main():
    ci = load_workflow("ci.yml")
    assert ci["on"]["push"]["branches"] == ["main"]
    test, deploy = ci["jobs"]["test"], ci["jobs"]["deploy"]
    steps = step_texts(test)
    assert "astral-sh/setup-uv" in steps
    for command in ("uv sync --frozen", "ruff check", "mypy src", "pytest --cov=src"):
        assert command in steps
    assert deploy["needs"] == "test"
    assert "refs/heads/main" in deploy["if"]
    assert "RAILWAY_TOKEN" in str(deploy["steps"])


def test_migrate_workflow_pushes_migrations_when_they_change():
    migrate = load_workflow("migrate.yml")
    assert migrate["on"]["push"]["paths"] == ["supabase/migrations/**"]
    steps = step_texts(migrate["jobs"]["migrate"])
    assert "supabase/setup-cli" in steps and "supabase db push" in steps


def test_staging_workflow_deploys_develop():
    staging = load_workflow("staging.yml")
    assert staging["on"]["push"]["branches"] == ["develop"]
    jobs = staging["jobs"]
    assert "supabase db push" in step_texts(jobs["migrate"])
    assert "--environment staging" in step_texts(jobs["deploy-staging"])


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_workflows_pass_the_schema_validator(name: str):
    assert VALIDATOR.exists(), "run scripts/test (or npm ci --prefix scripts/node) first"
    result = subprocess.run([str(VALIDATOR), str(WORKFLOWS / name)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_lists_every_setting_with_a_comment():
    from src.config import Settings

    lines = (ROOT / ".env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z_]+=", line)}
    assert names == {name.upper() for name in Settings.model_fields}
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[index - 1].startswith("#") or re.match(r"^[A-Z_]+=", lines[index - 1]), (
                line
            )


def test_ci_entry_point_runs_the_readme_test_command():
    ci_run = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "exec scripts/test" in ci_run
    assert "scripts/test" in readme and "scripts/start" in readme
