"""/readyz says a service is not ready when it can't get a client token its peers accept."""

import requests

from scripts.provision import register_service_clients
from tests import stores
from tests.polling import wait_until


def readiness(system) -> requests.Response:
    return requests.get(f"{system.url}/readyz", timeout=15)


def test_readiness_names_a_service_whose_client_was_revoked_until_provisioning_restores_it(
    system, config, redis_client
):
    assert readiness(system).status_code == 200
    stores.revoke_behind_the_apis_back(config, redis_client, "svc-payments")
    try:
        refused = wait_until(lambda: [answer for answer in [readiness(system)] if answer.status_code == 503],
                             what="/readyz to notice")[0]
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        services = refused.json()["errors"]["services"]
        assert services["payments"] == "payments cannot authenticate to its peers.", services
        assert {name for name, state in services.items() if state != "ok"} == {"payments"}
    finally:
        register_service_clients(config)  # what `make run` does at every start
    assert wait_until(lambda: readiness(system).status_code == 200, what="ready again")
