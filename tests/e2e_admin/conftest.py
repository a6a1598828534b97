"""End to end, on a system of its own: tests that do what the other packages' tests must not see
(an admin fuzzing every operation, a service client revoked behind the API's back). Its system
runs alone (each package's system stops when the package ends), and the stores are emptied
after it, so the next package starts as on a fresh `make run`."""

import pytest

from plumbing.redis_store import connect
from tests import stores
from tests.e2e.conftest import anonymous, new_customer, running_system  # noqa: F401 - fixtures


@pytest.fixture(scope="package")
def system(config, tmp_path_factory, test_infrastructure):
    env = {"RPC_TIMEOUT": "2", "LOG_FORMAT": "json"}
    with running_system(config, env, tmp_path_factory.mktemp("logs")) as running:
        yield running
    redis = connect(config["REDIS_URI"])
    try:
        stores.empty_stores(config, redis)
    finally:
        redis.close()
