"""Production mode (config ENV, `OMS_ENV=production`): a process refuses to start with development
credentials.

What counts as development is read off config.yaml itself: a secret (a `${..._PASSWORD:...}` or
`${..._SECRET:...}` setting) still at its default, the broker's `guest` user, a key pair made by
`generate_key_pair` (it leaves a marker beside the public key), and a gateway without TLS."""

import re
from functools import cache
from urllib.parse import urlsplit

from plumbing.config import config_path, project_path

PRODUCTION = "production"
GATEWAY = "gateway"
SETUP = "setup"  # make run / the seed: the admin account and every service's client are written there
DEVELOPMENT_KEY_MARKER = ".development"  # suffix of the marker file beside a generated public key
_SECRET_DEFAULT = re.compile(r"\$\{(\w+_(?:PASSWORD|SECRET)):([^}]*)\}")


class UnsafeProduction(RuntimeError):
    pass


def is_production(config: dict) -> bool:
    return str(config.get("ENV", "")).strip().lower() == PRODUCTION


@cache
def development_secrets() -> frozenset[str]:
    """The default value of every password and secret in config.yaml."""
    return frozenset(default for _, default in _SECRET_DEFAULT.findall(config_path().read_text()) if default)


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
