"""Test set-up shared by every layer.

The suite has its own RabbitMQ vhost and broker users, PostgreSQL databases, Redis db and Redis
users (named after the namespace) and key pair, so it never touches a running dev system, and
removes them all when it ends. The test
process itself (in-process service containers, event taps) is the broker user `tester`, allowed
everything on the test vhost and tagged `impersonator`, so in-process containers (and tests that
deliver events) publish as the service they stand for, and Redis's administrator; the services
started as processes are each their own user of both."""

import eventlet

eventlet.monkey_patch()  # first: nameko's plugin no longer does it

import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

# Several checkouts or sessions may test on one machine at once: each can pick its own namespace.
TEST_NAMESPACE = os.environ.get("OMS_TEST_NAMESPACE", "oms_test")
TEST_VHOST = TEST_NAMESPACE
TEST_REDIS_DB = int(os.environ.get("OMS_TEST_REDIS_DB", "15"))
KEY_DIR = Path(tempfile.mkdtemp(prefix="oms-test-keys-"))
# One database per service named in config.yaml's DB_URIS ("service:Base" keys), so a new
# service can never fall through to its dev database.
_CONFIG_KEYS = yaml.safe_load((Path(__file__).parent.parent / "config.yaml").read_text())["DB_URIS"]
# The reliability suite restarts the machine's servers: only `make test-reliability` runs it.
collect_ignore = [] if os.environ.get("OMS_RELIABILITY") else ["reliability"]
TEST_DATABASES = {key.split(":")[0]: f"{TEST_NAMESPACE}_{key.split(':')[0]}" for key in _CONFIG_KEYS}
TESTER = "tester"
TESTER_PASSWORD = secrets.token_urlsafe(16)

os.environ.update(
    {
        "AMQP_URI": f"pyamqp://{TEST_VHOST}-{TESTER}:{TESTER_PASSWORD}@127.0.0.1:5672/{TEST_VHOST}",
        "REDIS_URI": f"redis://127.0.0.1:6379/{TEST_REDIS_DB}",
        "REDIS_USER_PREFIX": TEST_NAMESPACE,
        "JWT_PRIVATE_KEY_PATH": str(KEY_DIR / "private.pem"),
        "JWT_PUBLIC_KEY_PATH": str(KEY_DIR / "public.pem"),
        "BCRYPT_ROUNDS": "4",
        "OMS_RATE_LIMIT": "off",
        "RPC_TIMEOUT": "5",
        "LOG_LEVEL": "WARNING",
        # Metrics endpoints on any free port: never one a running system (or another suite) holds.
        **{f"{service.upper()}_METRICS_PORT": "0" for service in [*TEST_DATABASES, "gateway"]},
        **{
            f"{service.upper()}_DB_URI": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
            for service, name in TEST_DATABASES.items()
        },
    }
)

from sqlalchemy import create_engine  # noqa: E402

from plumbing.broker import EVERYTHING, BrokerAdmin, unprovision  # noqa: E402
from plumbing.config import load_config  # noqa: E402
from plumbing.migrations import database_urls, drop_database, upgrade_all  # noqa: E402
from plumbing.redis_store import connect  # noqa: E402
from plumbing.redis_users import unprovision as unprovision_redis  # noqa: E402
from scripts.provision import broker_grants, provision_all, redis_grants  # noqa: E402
from users.tokens import generate_key_pair  # noqa: E402

TESTER_RIGHTS = {"password": TESTER_PASSWORD, "configure": EVERYTHING, "write": EVERYTHING, "read": EVERYTHING,
                 "topics": {}, "tags": "impersonator"}
# At once, not in a fixture: tests mint tokens with it while they are collected (tests/tokens.py).
generate_key_pair(load_config()["AUTH"])


@pytest.fixture(scope="session")
def config() -> dict:
    """config.yaml as the suite sees it. In-process containers run as `tester` and declare the
    exchanges they use, so tests can have sources of their own; the services started as
    processes read config.yaml, with no such right."""
    return {**load_config(), "DECLARE_EVENT_EXCHANGES": True}


def broker_principals(config) -> list[str]:
    return [grant.principal for grant in broker_grants(config)] + [TESTER]


@pytest.fixture(scope="session", autouse=True)
def test_infrastructure(config):
    """A fresh vhost with its broker users, databases at the latest migration with the services'
    clients, Redis users and an empty Redis db, a key pair."""
    BrokerAdmin(config["BROKER"]["ADMIN_URL"]).delete_vhost(TEST_VHOST)
    urls = database_urls(config)
    assert all(url.rsplit("/", 1)[1] == TEST_DATABASES[service] for service, url in urls.items()), urls
    for url in urls.values():
        drop_database(url)
    upgrade_all(config)
    provision_all(config, extra_users={TESTER: TESTER_RIGHTS})
    redis = connect(config["REDIS_URI"])
    redis.flushdb()
    yield
    unprovision(config, broker_principals(config))
    unprovision_redis(config, list(redis_grants()))
    for url in database_urls(config).values():
        drop_database(url)
    redis.flushdb()
    redis.close()
    shutil.rmtree(KEY_DIR, ignore_errors=True)


@pytest.fixture
def redis_client(config):
    client = connect(config["REDIS_URI"])
    yield client
    client.close()


@pytest.fixture
def payments_db(config):
    """An engine on the payments database (tests read invoices and counters directly)."""
    engine = create_engine(database_urls(config)["payments"])
    yield engine
    engine.dispose()
