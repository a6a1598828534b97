"""Production mode (config ENV, `OMS_ENV=production`): a process refuses to start with development
credentials.

What counts as development is read off config.yaml and docker-compose.yml themselves: a secret
(a `${..._PASSWORD:...}` or `${..._SECRET:...}` setting) still at its default, the broker's `guest`
user, a store (PostgreSQL, Redis, RabbitMQ's management API) reached without a password, a key pair
made by `generate_key_pair` (it leaves a marker beside the public key), and a gateway without TLS."""

import re
from functools import cache
from urllib.parse import unquote, urlsplit

from plumbing.config import PROJECT_ROOT, config_path, project_path

PRODUCTION = "production"
GATEWAY = "gateway"
SETUP = "setup"  # make run / the seed: the admin account and every service's client are written there
DEVELOPMENT_KEY_MARKER = ".development"  # suffix of the marker file beside a generated public key
_SECRET_DEFAULT = re.compile(r"\$\{(\w+_(?:PASSWORD|SECRET)):-?([^}]*)\}")  # config's and compose's
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"


class UnsafeProduction(RuntimeError):
    pass


def is_production(config: dict) -> bool:
    return str(config.get("ENV", "")).strip().lower() == PRODUCTION


@cache
def development_secrets() -> frozenset[str]:
    """The default value of every password and secret in config.yaml and docker-compose.yml."""
    texts = [config_path().read_text(), COMPOSE_FILE.read_text() if COMPOSE_FILE.exists() else ""]
    return frozenset(default for text in texts for _, default in _SECRET_DEFAULT.findall(text) if default)


def _store_problems(url: str, what: str, own_user: bool = False) -> list[str]:
    """What is wrong with the credentials of a store's URL; `own_user`: it must name a user other
    than the server's default one (Redis's `default`, RabbitMQ's `guest`)."""
    parts = urlsplit(url)
    if own_user and parts.username in (None, "", "default", "guest"):
        return [f"{what} is reached without a user of its own"]
    if not parts.password:
        return [f"{what} is reached without a password"]
    if unquote(parts.password) in development_secrets() or unquote(parts.password) == "guest":
        return [f"the password of {what} is the development default"]
    return []


def store_problems(config: dict, component: str) -> list[str]:
    """The stores `component` reaches, each with a password that isn't a development one: a
    process its own database and Redis user; the setup every database and both administrators."""
    problems = []
    databases = config["DB_URIS"]
    if component == SETUP:
        for key, url in databases.items():
            problems += _store_problems(url, f"the {key.split(':')[0]} database (DB_URIS)")
        problems += _store_problems(config["BROKER"]["ADMIN_URL"], "the RabbitMQ management API (RABBITMQ_ADMIN_URL)",
                                    own_user=True)
        problems += _store_problems(config["REDIS"]["ADMIN_URI"], "the Redis administrator (REDIS_ADMIN_URI)")
        problems += [
            f"the Redis password of {name} is the development default"
            for name, password in config["REDIS"]["PASSWORDS"].items()
            if password in development_secrets()
        ]
        return problems
    if f"{component}:Base" in databases:
        problems += _store_problems(databases[f"{component}:Base"], f"the {component} database (DB_URIS)")
    return problems + _store_problems(config["REDIS_URI"], "Redis (REDIS_URI)", own_user=True)


def unsafe_settings(config: dict, component: str) -> list[str]:
    """What makes `config` unfit for production in `component` (a service name, GATEWAY or SETUP)."""
    problems = []
    dev_secrets = development_secrets()
    broker = urlsplit(config["AMQP_URI"])
    if component != SETUP:
        if broker.username in (None, "guest"):
            problems.append("the broker user is guest: give this process its own (AMQP_URI)")
        elif broker.password in dev_secrets:
            problems.append(f"the broker password of {broker.username} is the development default")
    client = config.get("SERVICE_CLIENTS", {}).get(component)
    if client is not None and client["SECRET"] in dev_secrets:
        problems.append(f"the client secret of {component} is the development default")
    if component == SETUP:
        if config["ADMIN"]["PASSWORD"] in dev_secrets:
            problems.append("the admin password is the development default (OMS_ADMIN_PASSWORD)")
        problems += [
            f"the client secret of {name} is the development default"
            for name, each in config.get("SERVICE_CLIENTS", {}).items()
            if each["SECRET"] in dev_secrets
        ]
    if component in (GATEWAY, SETUP) and not (config["GATEWAY"]["TLS_CERT"] and config["GATEWAY"]["TLS_KEY"]):
        problems.append("the gateway has no TLS certificate (GATEWAY_TLS_CERT, GATEWAY_TLS_KEY)")
    problems += store_problems(config, component)
    if development_key_marker(config["AUTH"]).exists():
        problems.append("the token key pair was generated for development (make one and remove the marker)")
    return problems


def development_key_marker(auth_config: dict):
    public = project_path(auth_config["PUBLIC_KEY_PATH"])
    return public.with_name(public.name + DEVELOPMENT_KEY_MARKER)


def refuse_unsafe_production(config: dict, component: str) -> None:
    """In production mode, raise UnsafeProduction naming every problem; otherwise do nothing."""
    if not is_production(config):
        return
    problems = unsafe_settings(config, component)
    if problems:
        raise UnsafeProduction(
            f"OMS_ENV=production: {component} refuses to start:\n" + "\n".join(f"  - {p}" for p in problems)
        )
