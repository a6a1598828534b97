"""Every process of the running system is its own broker user; none is guest."""

from plumbing.broker import BrokerAdmin, user_name, vhost_of
from scripts.system import GATEWAY, SERVICES


def test_every_process_connects_as_its_own_broker_user(system, config):
    vhost = vhost_of(config["AMQP_URI"])
    users = BrokerAdmin(config["BROKER"]["ADMIN_URL"]).connected_users(vhost)
    expected = {user_name(vhost, principal) for principal in [*SERVICES, GATEWAY]}
    assert expected <= users
    assert "guest" not in users
