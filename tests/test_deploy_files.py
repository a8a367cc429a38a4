import importlib
import importlib.util
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


CRON_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
CRON_JOBS = {
    "nightly": ("0 2 * * *", "src.agents.batch.run_nightly"),
    "incremental": ("0 */4 * * *", "src.agents.batch.run_incremental"),
    "monthly-retrain": ("0 3 1 * *", "src.agents.batch.monthly_retrain"),
}


def cron_valid(expression: str) -> bool:
    """Five fields of `*`, `*/n`, numbers, ranges and lists, each within its bounds."""
    fields = expression.split()
    if len(fields) != 5:
        return False
    for text, (low, high) in zip(fields, CRON_FIELDS, strict=True):
        for part in text.split(","):
            base, _, step = part.partition("/")
            if step and not (step.isdigit() and int(step) >= 1):
                return False
            if base == "*":
                continue
            bounds = base.split("-")
            if not all(b.isdigit() and low <= int(b) <= high for b in bounds) or len(bounds) > 2:
                return False
    return True


@pytest.mark.parametrize("name", sorted(CRON_JOBS))
def test_railway_cron_services_parse_and_start_existing_modules(name: str):
    schedule, module = CRON_JOBS[name]
    config = tomllib.loads((ROOT / "railway" / f"{name}.toml").read_text())
    assert set(config) <= {"build", "deploy"}
    assert config["build"]["buildCommand"].startswith("uv sync --frozen")
    deploy = config["deploy"]
    assert deploy["cronSchedule"] == schedule and cron_valid(deploy["cronSchedule"])
    assert deploy["restartPolicyType"] == "NEVER"
    assert "healthcheckPath" not in deploy, "a cron job serves no health check"
    command = deploy["startCommand"].split()
    assert command[:4] == ["uv", "run", "python", "-m"] and command[4] == module
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    entry = importlib.import_module(module)
    assert callable(entry.main)
    with pytest.raises(SystemExit) as exit_info:
        entry.main(["--help"])
    assert exit_info.value.code == 0


def test_cron_checker_rejects_bad_expressions():
    assert cron_valid("0 2 * * *") and cron_valid("*/15 0-6 1,15 * 1-5")
    for bad in ("0 2 * *", "60 2 * * *", "0 24 * * *", "0 2 0 * *", "0 */0 * * *", "x 2 * * *"):
        assert not cron_valid(bad), bad


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
    names = {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z0-9_]+=", line)}
    assert names == {name.upper() for name in Settings.model_fields}
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z0-9_]+=", line):
            assert lines[index - 1].startswith("#") or re.match(
                r"^[A-Z0-9_]+=", lines[index - 1]
            ), line


def test_ci_entry_point_runs_the_readme_test_command():
    ci_run = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "exec scripts/test" in ci_run
    assert "scripts/test" in readme and "scripts/start" in readme
