"""Deploy files, checked without Docker or a platform account (none exists on CI machines).

Statically: render.yaml, railway*.json, Dockerfile, .dockerignore, docker-compose.yml and the
GitHub workflow parse and say what docs/deploy.md promises. For real: the Dockerfile's
collectstatic step runs in a copy of the build context the way `docker build` would see it,
whitenoise serves what it produced with far-future caching, and the image's HEALTHCHECK
command passes against a live server.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client, override_settings

from tests.test_settings import PRODUCTION_ENV, manage

ROOT = Path(__file__).resolve().parent.parent
WEB_COMMAND = "gunicorn config.wsgi:application --config gunicorn.conf.py"
MIGRATE_COMMAND = "python manage.py migrate --noinput"
TEN_YEARS = 10 * 365 * 24 * 60 * 60


def read(name: str) -> str:
    return (ROOT / name).read_text()


def load_yaml(name: str):
    return yaml.safe_load(read(name))


def readme_variables() -> set[str]:
    """Every variable named in the first column of the README's configuration table."""
    section = read("README.md").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


# --- Procfile, Render, Railway ------------------------------------------------------------


def test_procfile_keeps_web_and_release_and_runs_beat_on_its_own():
    lines = read("Procfile").splitlines()
    assert f"web: {WEB_COMMAND}" in lines
    assert f"release: {MIGRATE_COMMAND}" in lines
    assert "beat: celery -A config beat --loglevel info" in lines
    [worker] = [line for line in lines if line.startswith("worker:")]
    assert "--beat" not in worker


def render_services():
    blueprint = load_yaml("render.yaml")
    return blueprint, {service["name"]: service for service in blueprint["services"]}


def env_vars(service) -> dict[str, dict]:
    return {entry["key"]: entry for entry in service["envVars"]}


def test_render_blueprint_web_service():
    _, services = render_services()
    web = services["taskflow-web"]
    assert web["type"] == "web"
    assert web["runtime"] == "python"
    assert web["buildCommand"] == (
        "pip install -r requirements.txt && python manage.py collectstatic --noinput"
    )
    assert web["preDeployCommand"] == MIGRATE_COMMAND
    assert web["startCommand"] == WEB_COMMAND
    assert web["healthCheckPath"] == "/ready/database/"

    variables = env_vars(web)
    assert variables["DJANGO_SETTINGS_MODULE"]["value"] == "config.settings.production"
    assert variables["DJANGO_SECRET_KEY"] == {"key": "DJANGO_SECRET_KEY", "generateValue": True}
    assert variables["METRICS_TOKEN"] == {"key": "METRICS_TOKEN", "generateValue": True}
    assert variables["TRUSTED_PROXY_COUNT"]["value"] == "1"
    assert "DJANGO_ALLOWED_HOSTS" in variables
    assert "WEB_CONCURRENCY" in variables
    assert variables["PYTHON_VERSION"]["value"].startswith("3.11.")


def test_render_blueprint_wires_the_database_and_key_value_store():
    blueprint, services = render_services()
    databases = {database["name"]: database for database in blueprint["databases"]}
    key_value = {name for name, service in services.items() if service["type"] == "keyvalue"}
    assert key_value == {"taskflow-redis", "taskflow-ratelimit"}
    for name in key_value:
        # Render requires an allow list on Key Value; empty means the private network only.
        assert services[name]["ipAllowList"] == []
    # Cached pages may be evicted (queued jobs, without a TTL, never are); counters never.
    assert services["taskflow-redis"]["maxmemoryPolicy"] == "volatile-lru"
    assert services["taskflow-ratelimit"]["maxmemoryPolicy"] == "noeviction"

    for name in ("taskflow-web", "taskflow-worker"):
        variables = env_vars(services[name])
        database = variables["DATABASE_URL"]["fromDatabase"]
        assert database["name"] in databases
        assert database["property"] == "connectionString"
        for variable, instance in (
            ("REDIS_URL", "taskflow-redis"),
            ("RATELIMIT_REDIS_URL", "taskflow-ratelimit"),
        ):
            assert variables[variable]["fromService"] == {
                "type": "keyvalue",
                "name": instance,
                "property": "connectionString",
            }


def test_render_blueprint_runs_a_worker_and_one_beat_sharing_the_web_secret():
    _, services = render_services()
    workers = {s["name"]: s for s in services.values() if s["type"] == "worker"}
    assert set(workers) == {"taskflow-worker", "taskflow-beat"}
    worker, beat = workers["taskflow-worker"], workers["taskflow-beat"]
    assert worker["startCommand"].startswith("celery -A config worker --loglevel info")
    assert "--beat" not in worker["startCommand"]
    assert beat["startCommand"] == "celery -A config beat --loglevel info"
    assert beat["numInstances"] == 1  # a second beat sends every scheduled job twice
    for service in (worker, beat):
        secret = env_vars(service)["DJANGO_SECRET_KEY"]["fromService"]
        assert secret == {"type": "web", "name": "taskflow-web", "envVarKey": "DJANGO_SECRET_KEY"}
        assert "fromDatabase" in env_vars(service)["DATABASE_URL"]  # the schedule lives there


def test_railway_config_for_the_web_service():
    config = json.loads(read("railway.json"))
    assert config["$schema"] == "https://railway.com/railway.schema.json"
    # Railway builds with a root Dockerfile whenever there is one: say so explicitly.
    assert config["build"]["builder"] == "DOCKERFILE"
    assert (ROOT / config["build"]["dockerfilePath"]).is_file()
    deploy = config["deploy"]
    assert deploy["startCommand"] == WEB_COMMAND
    assert deploy["preDeployCommand"] == [MIGRATE_COMMAND]
    assert deploy["healthcheckPath"] == "/ready/database/"
    assert deploy["restartPolicyType"] in {"ON_FAILURE", "ALWAYS", "NEVER"}
    assert deploy["restartPolicyMaxRetries"] > 0


def test_railway_config_for_the_worker_service():
    config = json.loads(read("railway.worker.json"))
    assert config["build"] == json.loads(read("railway.json"))["build"]
    deploy = config["deploy"]
    assert "celery -A config worker --loglevel info" in deploy["startCommand"]
    assert "--beat" not in deploy["startCommand"]
    # A worker serves no HTTP and must not run the migrations a second time.
    assert "healthcheckPath" not in deploy
    assert "preDeployCommand" not in deploy
    assert deploy["restartPolicyType"] in {"ON_FAILURE", "ALWAYS", "NEVER"}


def test_railway_config_for_the_one_beat_service():
    config = json.loads(read("railway.beat.json"))
    assert config["build"] == json.loads(read("railway.json"))["build"]
    deploy = config["deploy"]
    assert deploy["startCommand"] == "celery -A config beat --loglevel info"
    assert deploy["numReplicas"] == 1
    assert "healthcheckPath" not in deploy and "preDeployCommand" not in deploy


# --- Dockerfile and .dockerignore ------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def test_dockerfile_is_multi_stage_and_runs_as_a_non_root_user():
    instructions = dockerfile_instructions()
    stages = [args for instruction, args in instructions if instruction == "FROM"]
    # Debian 12 in both: its pg_restore is 15, the server's major version (compose, docs).
    assert stages[0] == "python:3.11-slim-bookworm AS builder"
    assert stages[-1].startswith("python:3.11-slim-bookworm AS ")
    last_stage = instructions[
        max(i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM") :
    ]
    assert any(
        instruction == "COPY" and args.startswith("--from=builder /opt/venv")
        for instruction, args in last_stage
    )
    users = [args for instruction, args in last_stage if instruction == "USER"]
    assert users, "the final stage must switch to an unprivileged user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    # Everything after USER runs unprivileged, including CMD.
    names = [instruction for instruction, _ in last_stage]
    assert names.index("USER") < names.index("CMD")


def test_dockerfile_exposes_the_port_checks_health_and_starts_gunicorn():
    instructions = dict(dockerfile_instructions())
    assert instructions["EXPOSE"] == "8000"
    assert "/health/" in instructions["HEALTHCHECK"]
    assert json.loads(instructions["CMD"]) == shlex.split(WEB_COMMAND)
    env = instructions["ENV"]
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env


def healthcheck_command() -> list[str]:
    healthcheck = dict(dockerfile_instructions())["HEALTHCHECK"]
    return json.loads(healthcheck.split(" CMD ", 1)[1])


def test_the_image_healthcheck_passes_against_a_live_server(live_server):
    port = live_server.url.rsplit(":", 1)[1]
    command = [sys.executable, *healthcheck_command()[1:]]
    env = {**os.environ, "PORT": port, "DJANGO_ALLOWED_HOSTS": "localhost,taskflow.example.com"}
    assert subprocess.run(command, env=env, capture_output=True, timeout=30).returncode == 0
    # A Host that Django would refuse fails the check instead of passing by accident.
    env["DJANGO_ALLOWED_HOSTS"] = "elsewhere.example.com"
    assert subprocess.run(command, env=env, capture_output=True, timeout=30).returncode != 0


def dockerignore_patterns() -> list[tuple[bool, re.Pattern]]:
    """(negated, regex) for each .dockerignore line, in order; the last match decides."""
    patterns = []
    for line in read(".dockerignore").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        glob = line.lstrip("!").strip("/")
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", glob):
            regex += {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                part, re.escape(part)
            )
        patterns.append((negated, re.compile(regex + "$")))
    return patterns


def ignored(path: str, patterns) -> bool:
    """Whether `docker build` leaves `path` out of the context (a directory takes its files)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negated, regex in patterns:
        if any(regex.match(prefix) for prefix in prefixes):
            result = not negated
    return result


def test_dockerignore_keeps_the_app_and_leaves_out_secrets_and_local_state():
    patterns = dockerignore_patterns()
    needed = [
        "manage.py",
        "requirements.txt",
        "gunicorn.conf.py",
        "config/settings/production.py",
        "core/management/commands/backup.py",
        "tasks/migrations/0001_initial.py",
        "templates/base.html",
        "static/css/app.css",
        ".env.example",
    ]
    assert [path for path in needed if ignored(path, patterns)] == []
    unwanted = [
        ".env",
        ".env.production",
        ".git/HEAD",
        ".venv/bin/python",
        "db.sqlite3",
        "staticfiles/css/app.css",
        "tasks/__pycache__/models.cpython-311.pyc",
        "artifacts/e2e/shot.png",
        "taskflow-20250101T000000Z.pgdump",
        "tests/conftest.py",
    ]
    assert [path for path in unwanted if not ignored(path, patterns)] == []


@pytest.fixture(scope="module")
def built_context(tmp_path_factory):
    """The build context as `COPY . /app` sees it, after the Dockerfile's collectstatic step.

    That step runs here exactly as written (its throwaway variables plus the image's ENV) with
    nothing else in the environment: no database, no Redis, no .env file.
    """
    context = tmp_path_factory.mktemp("docker-context")
    patterns = dockerignore_patterns()
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and not ignored(relative, patterns):
            target = context / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)

    instructions = dockerfile_instructions()
    image_env = dict(
        item.split("=", 1)
        for instruction, args in instructions
        if instruction == "ENV"
        for item in shlex.split(args)
    )
    [step] = [args for instruction, args in instructions if "collectstatic" in args]
    [command] = [part for part in step.split("&&") if "collectstatic" in part]
    words = shlex.split(command)
    step_env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    argv = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    assert argv == ["python", "manage.py", "collectstatic", "--noinput"]
    env = {"PATH": os.environ["PATH"], "HOME": str(context), "LANG": "C.UTF-8"}
    env.update({key: value for key, value in image_env.items() if key != "PATH"})
    env.update(step_env)
    result = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=context,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return context


def test_collectstatic_at_build_needs_no_database_and_writes_hashed_compressed_files(
    built_context,
):
    static_root = built_context / "staticfiles"
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/app.css"]
    assert re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", hashed)
    assert (static_root / hashed).is_file()
    assert (static_root / f"{hashed}.gz").is_file() or (static_root / f"{hashed}.br").is_file()
    # The throwaway DATABASE_URL was never opened.
    [step] = [args for instruction, args in dockerfile_instructions() if "collectstatic" in args]
    database_url = re.search(r"DATABASE_URL=sqlite:///(\S+)", step).group(1)
    assert not Path(database_url).exists()


PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_production_settings_use_whitenoise_compressed_manifest_storage():
    show = "from django.conf import settings as s; import json; print(json.dumps(s.STORAGES))"
    result = manage("shell", "-v0", "-c", show, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    storages = json.loads(result.stdout)
    assert storages.pop("data")["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storages == PRODUCTION_STORAGES


def test_the_data_storage_is_chosen_by_the_environment():
    show = (
        "from django.conf import settings as s; from django.core.files.storage import storages; "
        "import json; data = storages['data']; "
        "print(json.dumps([s.STORAGES['data'], type(data).__name__, data.bucket_name]))"
    )
    env = {
        **PRODUCTION_ENV,
        "DATA_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
        "DATA_STORAGE_OPTIONS": '{"bucket_name": "taskflow-data", "default_acl": "private"}',
    }
    result = manage("shell", "-v0", "-c", show, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "taskflow-data", "default_acl": "private"},
        },
        "S3Storage",
        "taskflow-data",
    ]


def test_web_and_worker_share_the_data_files():
    services = compose_services()
    assert "data-files:/data-files" in services["web"]["volumes"]
    assert "data-files:/data-files" in services["worker"]["volumes"]
    assert "DATA_FILES_ROOT=/data-files" in dict(dockerfile_instructions())["ENV"]


def test_whitenoise_serves_hashed_files_compressed_with_far_future_caching(built_context):
    """Production's storage with whitenoise's defaults: a hashed name never changes content,
    so whitenoise marks it immutable for ten years (its FOREVER); an unhashed name gets
    WHITENOISE_MAX_AGE (60 s unless DEBUG). Pages only ever link the hashed names."""
    from django.templatetags.static import static

    with override_settings(STATIC_ROOT=built_context / "staticfiles", STORAGES=PRODUCTION_STORAGES):
        hashed_url = static("css/app.css")
        assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", hashed_url)
        client = Client()  # a new handler: whitenoise indexes this STATIC_ROOT

        response = client.get(hashed_url, HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200
        assert response["Cache-Control"] == f"max-age={TEN_YEARS}, public, immutable"
        assert response["Content-Encoding"] in {"gzip", "br"}
        assert "Accept-Encoding" in response["Vary"]
        assert response["Content-Type"].startswith("text/css")
        body = b"".join(response.streaming_content)
        if response["Content-Encoding"] == "gzip":
            assert body[:2] == b"\x1f\x8b"  # the precompressed sibling, as written at build

        unhashed = client.get("/static/css/app.css")
        assert unhashed.status_code == 200
        assert unhashed["Cache-Control"] == "max-age=60, public"


# --- docker-compose.yml ---------------------------------------------------------------------


def compose_services():
    return load_yaml("docker-compose.yml")["services"]


def test_compose_runs_web_worker_and_a_migrate_step_on_postgres_and_redis():
    services = compose_services()
    assert {"web", "worker", "migrate", "db", "redis", "ratelimit-redis"} <= set(services)

    db = services["db"]
    assert db["image"] == "postgres:15"
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    for name, policy in (("redis", "volatile-lru"), ("ratelimit-redis", "noeviction")):
        redis = services[name]
        assert redis["image"] == "redis:7"
        assert "ping" in redis["healthcheck"]["test"]
        command = redis["command"]
        assert command[command.index("--maxmemory-policy") + 1] == policy
        assert "--maxmemory" in command  # a bound, or Redis grows until the host kills it

    assert services["migrate"]["command"] == shlex.split(MIGRATE_COMMAND)
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert "--beat" not in services["worker"]["command"]
    assert services["beat"]["command"] == ["celery", "-A", "config", "beat", "--loglevel", "info"]
    assert "8000" in services["web"]["ports"][0]

    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["ratelimit-redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_compose_wires_the_production_settings_to_its_database_and_redis():
    for name in ("web", "worker", "migrate"):
        service = compose_services()[name]
        assert service["build"] == "."
        env = service["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert env["DATABASE_URL"].endswith("@db:5432/taskflow")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["RATELIMIT_REDIS_URL"] == "redis://ratelimit-redis:6379/0"
        # No default secret: compose refuses to start until one is set.
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


# --- GitHub Actions --------------------------------------------------------------------------


def test_github_workflow_does_what_ci_run_does():
    workflow = load_yaml(".github/workflows/ci.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    [job] = workflow["jobs"].values()

    assert job["container"]["image"].startswith("python:3.11")
    services = job["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for service in services.values():
        assert "--health-cmd" in service["options"]

    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert "apt-get install" in script and "chromium" in script
    assert "playwright install" not in script
    assert "env -u DATABASE_URL -u REDIS_URL make test" in script
    assert 'DATABASE_URL="$PG_URL" REDIS_URL="$REDIS" make test' in script
    assert "ruff check ." in script and "ruff format --check ." in script
    assert "makemigrations --check --dry-run" in script
    assert "check --deploy --fail-level WARNING" in script
    for module in ("two_instances", "faults", "api_fuzz", "generated_client", "load"):
        assert module in script and f"tests/live/test_{module}.py" in read(".ci/run")
    assert "-m live" in script
    used = [step["uses"] for step in job["steps"] if "uses" in step]
    for old in ("actions/checkout@v4", "actions/cache@v4", "actions/upload-artifact@v4"):
        assert old not in used  # Node 20 actions
    assert (
        job["env"]["PG_URL"].startswith("postgres://") and "@postgres:5432/" in job["env"]["PG_URL"]
    )


# --- Every variable the deploy files set is documented -------------------------------------


def test_every_variable_the_deploy_files_set_is_in_the_readme_configuration_table():
    referenced = set()
    _, services = render_services()
    for service in services.values():
        referenced.update(entry["key"] for entry in service.get("envVars", []))
    for name in ("web", "worker", "migrate"):
        referenced.update(compose_services()[name]["environment"])
    for instruction, args in dockerfile_instructions():
        if instruction in {"ENV", "RUN"}:
            referenced.update(re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]+)=", args))
    # The interpreter's and pip's own variables, not the app's.
    referenced -= {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    referenced = {name for name in referenced if not name.startswith(("PIP_", "DEBIAN_"))}
    assert referenced - readme_variables() == set()
