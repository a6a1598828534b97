"""docker-compose.yml and the Dockerfile can't run here (no Docker engine): check them statically."""

import re

import yaml

from plumbing.config import PROJECT_ROOT, load_config
from plumbing.migrations import database_urls
from scripts.system import SERVICES


class ComposeLoader(yaml.SafeLoader):
    """YAML as compose reads it, ${VAR:-default} left as written: loading config.yaml (nameko's
    setup_yaml_parser) makes every SafeLoader expand ${...} from this process's environment."""


ComposeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
COMPOSE = yaml.load((PROJECT_ROOT / "docker-compose.yml").read_text(), Loader=ComposeLoader)


def test_compose_runs_every_service_with_its_class():
    services = COMPOSE["services"]
    for package, class_name in SERVICES.items():
        assert services[package]["command"][-1] == f"{package}.service:{class_name}"
        assert services[package]["command"][:4] == ["nameko", "run", "--config", "config.yaml"]
    assert "gateway.app:create_app()" in services["gateway"]["command"]
    assert {"rabbitmq", "postgres", "redis", "migrate"} <= set(services)


def test_compose_points_every_database_at_the_postgres_container(config):
    env = COMPOSE["x-service"]["environment"]
    for service in database_urls(config):
        assert f"@postgres:5432/oms_{service}" in env[f"{service.upper()}_DB_URI"]
        assert ":${POSTGRES_PASSWORD:-" in env[f"{service.upper()}_DB_URI"]
    assert "REDIS_URI" not in env  # each process has its own


def test_compose_gives_every_process_its_own_redis_user_and_migrate_creates_them(config):
    for name in [*SERVICES, "gateway"]:
        password = f"{name.upper()}_REDIS_PASSWORD"
        assert COMPOSE["services"][name]["environment"]["REDIS_URI"].startswith(
            f"redis://oms-{name}:${{{password}:-"), name
        assert "@redis:6379/" in COMPOSE["services"][name]["environment"]["REDIS_URI"]
        assert password in COMPOSE["services"]["migrate"]["environment"], name
    assert set(config["REDIS"]["PASSWORDS"]) == {*SERVICES, "gateway"}
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["environment"]["REDIS_ADMIN_URI"].startswith("redis://default:${REDIS_ADMIN_PASSWORD:-")
    assert migrate["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_compose_redis_has_a_password_and_keeps_its_users_in_an_acl_file():
    redis = COMPOSE["services"]["redis"]
    start = redis["command"][-1]
    assert "user default on >$$REDIS_ADMIN_PASSWORD" in start and "--aclfile /data/users.acl" in start
    assert "redis-acl:/data" in redis["volumes"]
    assert "$$REDIS_ADMIN_PASSWORD" in " ".join(redis["healthcheck"]["test"])


def test_compose_gives_every_process_its_own_broker_user_and_the_private_key_only_to_users():
    for name in [*SERVICES, "gateway"]:
        service = COMPOSE["services"][name]
        assert service["environment"]["AMQP_URI"].startswith(f"pyamqp://oms-{name}:"), name
        assert "@rabbitmq:5672/oms" in service["environment"]["AMQP_URI"]
        assert ("keys:/keys:ro" in service["volumes"]) == (name == "users"), name
        assert "public-keys:/public:ro" in service["volumes"]
    assert "scripts.provision" in COMPOSE["services"]["migrate"]["command"][-1]


def test_compose_serves_the_services_metrics_beyond_their_container():
    assert COMPOSE["x-service"]["environment"]["METRICS_HOST"] == "0.0.0.0"
    for package in SERVICES:
        assert COMPOSE["x-service"]["environment"].items() <= COMPOSE["services"][package]["environment"].items()


def test_every_config_variable_the_compose_file_sets_exists_in_config_yaml():
    config_text = (PROJECT_ROOT / "config.yaml").read_text()
    for name in COMPOSE["x-service"]["environment"]:
        assert re.search(r"\$\{" + name + ":", config_text), name


def test_dockerfile_installs_the_pinned_requirements_and_runs_as_a_user():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert re.search(r"^USER \w+", dockerfile, re.M)


def test_config_loads_with_defaults():
    assert load_config()["DB_URIS"]
