"""OMS_ENV=production refuses development credentials (plumbing/production.py)."""

import copy
import os
import subprocess
import sys

import pytest

from gateway.app import create_app
from plumbing.config import PROJECT_ROOT
from plumbing.production import GATEWAY, SETUP, UnsafeProduction, development_secrets, unsafe_settings
from scripts.system import service_command


@pytest.fixture
def safe(config, tmp_path) -> dict:
    """The suite's config made fit for production: own secrets, own broker and Redis users, stores
    with passwords, TLS, real keys."""
    safe = copy.deepcopy(config)
    safe["AMQP_URI"] = "amqps://oms-orders:s3cret-broker@rabbit.internal:5671/oms"
    safe["REDIS_URI"] = "rediss://oms-orders:s3cret-redis@redis.internal:6380/0"
    safe["DB_URIS"] = {key: f"postgresql+psycopg2://oms:s3cret-db@db.internal:5432/{key.split(':')[0]}"
                       for key in config["DB_URIS"]}
    safe["BROKER"] = {**config["BROKER"], "ADMIN_URL": "https://admin:s3cret-admin@rabbit.internal:15671"}
    safe["REDIS"] = {**config["REDIS"], "ADMIN_URI": "rediss://admin:s3cret-redis-admin@redis.internal:6380/0",
                     "PASSWORDS": {name: f"{name}-s3cret" for name in config["REDIS"]["PASSWORDS"]}}
    safe["SERVICE_CLIENTS"] = {name: {**client, "SECRET": f"{name}-s3cret"}
                               for name, client in config["SERVICE_CLIENTS"].items()}
    safe["ADMIN"] = {**config["ADMIN"], "PASSWORD": "a-real-admin-password"}
    safe["GATEWAY"] = {**config["GATEWAY"], "TLS_CERT": "/etc/oms/cert.pem", "TLS_KEY": "/etc/oms/key.pem"}
    public = tmp_path / "public.pem"
    public.write_text("a key made for production")  # and no development marker beside it
    safe["AUTH"] = {**config["AUTH"], "PUBLIC_KEY_PATH": str(public)}
    return safe


@pytest.mark.parametrize("component", ["orders", "products", "users", GATEWAY, SETUP])
def test_a_production_config_passes(safe, component):
    assert unsafe_settings(safe, component) == []


def test_the_defaults_of_config_yaml_are_development_secrets():
    assert {"change-me-now-please", "dev-client-secret-orders", "dev-broker-gateway", "dev-redis-orders"} \
        <= development_secrets()


def test_the_defaults_of_docker_compose_are_development_secrets():
    assert {"change-me-broker-admin", "change-me-postgres", "change-me-redis-admin"} <= development_secrets()


@pytest.mark.parametrize(
    ("change", "component", "problem"),
    [
        (lambda c: c.update(AMQP_URI="pyamqp://guest:guest@rabbit:5672/oms"), "orders", "broker user is guest"),
        (lambda c: c.update(AMQP_URI="pyamqp://oms-orders:dev-broker-orders@rabbit:5672/oms"), "orders",
         "broker password of oms-orders"),
        (lambda c: c["SERVICE_CLIENTS"]["orders"].update(SECRET="dev-client-secret-orders"), "orders",
         "client secret of orders"),
        (lambda c: c["SERVICE_CLIENTS"]["products"].update(SECRET="dev-client-secret-products"), SETUP,
         "client secret of products"),
        (lambda c: c["ADMIN"].update(PASSWORD="change-me-now-please"), SETUP, "admin password"),
        (lambda c: c["GATEWAY"].update(TLS_CERT=""), GATEWAY, "no TLS certificate"),
        (lambda c: c.update(REDIS_URI="redis://redis.internal:6379/0"), "orders", "Redis (REDIS_URI) is reached without"
         " a user of its own"),
        (lambda c: c.update(REDIS_URI="redis://:s3cret@redis.internal:6379/0"), GATEWAY, "without a user of its own"),
        (lambda c: c.update(REDIS_URI="redis://oms-orders@redis.internal:6379/0"), "orders", "without a password"),
        (lambda c: c.update(REDIS_URI="redis://oms-gateway:dev-redis-gateway@redis:6379/0"), GATEWAY,
         "password of Redis (REDIS_URI) is the development default"),
        (lambda c: c["DB_URIS"].update({"orders:Base": "postgresql+psycopg2://postgres@db:5432/oms_orders"}), "orders",
         "the orders database (DB_URIS) is reached without a password"),
        (lambda c: c["DB_URIS"].update({"users:Base": "postgresql+psycopg2://postgres@db:5432/oms_users"}), SETUP,
         "the users database (DB_URIS) is reached without a password"),
        (lambda c: c["DB_URIS"].update({"payments:Base": "postgresql+psycopg2://postgres:change-me-postgres@db/p"}),
         "payments", "password of the payments database (DB_URIS) is the development default"),
        (lambda c: c["BROKER"].update(ADMIN_URL="http://guest:guest@rabbit:15672"), SETUP,
         "management API (RABBITMQ_ADMIN_URL) is reached without a user of its own"),
        (lambda c: c["BROKER"].update(ADMIN_URL="http://admin@rabbit:15672"), SETUP, "management API"),
        (lambda c: c["BROKER"].update(ADMIN_URL="http://admin:change-me-broker-admin@rabbit:15672"), SETUP,
         "password of the RabbitMQ management API (RABBITMQ_ADMIN_URL) is the development default"),
        (lambda c: c["REDIS"].update(ADMIN_URI="redis://redis:6379/0"), SETUP,
         "Redis administrator (REDIS_ADMIN_URI) is reached without a password"),
        (lambda c: c["REDIS"]["PASSWORDS"].update(products="dev-redis-products"), SETUP, "Redis password of products"),
    ],
)
def test_each_development_setting_is_named(safe, change, component, problem):
    change(safe)
    problems = unsafe_settings(safe, component)
    assert len(problems) == 1 and problem in problems[0], problems


def test_a_development_key_pair_is_refused(config):
    # The suite's own key pair was made by generate_key_pair, which marks it.
    assert any("generated for development" in problem for problem in unsafe_settings(config, "orders"))


def test_the_gateway_refuses_to_start_in_production_with_development_settings(config):
    with pytest.raises(UnsafeProduction, match="gateway refuses to start"):
        create_app({**config, "ENV": "production"})


def run_in_production(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "OMS_ENV": "production", "PYTHONPATH": str(PROJECT_ROOT)})


def test_make_run_refuses_in_production_before_it_touches_anything():
    result = run_in_production([sys.executable, "-m", "scripts.run"])
    assert result.returncode != 0
    assert "setup refuses to start" in result.stderr and "admin password" in result.stderr, result.stderr


def test_a_service_refuses_to_start_in_production_with_development_settings():
    result = run_in_production(service_command("orders"))
    assert result.returncode != 0
    assert "orders refuses to start" in result.stderr and "client secret of orders" in result.stderr, result.stderr
    assert "Redis (REDIS_URI) is reached without a user of its own" in result.stderr, result.stderr
