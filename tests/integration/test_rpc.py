"""Service-to-service calls (plumbing.rpc) between real containers on the test broker."""

import eventlet
import pytest
from kombu import Connection, Exchange, Producer
from sqlalchemy.exc import OperationalError

from contracts.operation import Operation
from plumbing.callers import Caller, rpc
from plumbing.rpc import RpcProxy
from tests.integration.conftest import call
from wire.access import PUBLIC
from wire.errors import Conflict, Unavailable


def public(method: str) -> Operation:
    """A test double's RPC, which anyone may call."""
    return Operation(id=method, service="test", method=method, access=PUBLIC, doc="A test double.")

class PeerService:
    name = "rpc_test_peer"
    caller = Caller()

    @rpc(public("lose_database"))
    def lose_database(self):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    @rpc(public("refuse"))
    def refuse(self):
        raise Conflict("No.")

    @rpc(public("slow"))
    def slow(self):
        eventlet.sleep(5)

    @rpc(public("echo"))
    def echo(self, value):
        return value


class CallerService:
    name = "rpc_test_caller"
    caller = Caller()
    peer = RpcProxy("rpc_test_peer")

    @rpc(public("ask"))
    def ask(self, method, *args):
        return self.peer.call(method, *args)


@pytest.fixture
def caller(start_container, container_factory, config):
    start_container(PeerService)
    container = container_factory(CallerService, {**config, "RPC_TIMEOUT": 1})
    container.start()
    return container


def test_a_malformed_request_is_dropped_and_the_service_keeps_serving(caller, config):
    """nameko 2.14 would kill the container replying to a message without reply_to."""
    with Connection(config["AMQP_URI"]) as connection:
        Producer(connection.channel()).publish(
            {"probe": True}, exchange=Exchange("nameko-rpc", no_declare=True), routing_key="rpc_test_peer.echo"
        )
    assert call(caller, "ask", "echo", "still here") == "still here"
    assert call(caller, "ask", "echo", "and here") == "and here"


def test_a_peer_answers(caller):
    assert call(caller, "ask", "echo", {"a": 1}) == {"a": 1}


def test_a_peer_that_lost_its_database_is_unavailable_not_a_nested_remote_error(caller):
    with pytest.raises(Unavailable, match="rpc_test_peer cannot reach its database"):
        call(caller, "ask", "lose_database")


def test_a_peer_business_error_keeps_its_type(caller):
    with pytest.raises(Conflict, match="No."):
        call(caller, "ask", "refuse")


def test_a_peer_that_does_not_answer_in_time_is_unavailable(caller):
    with pytest.raises(Unavailable, match="did not answer within 1 s"):
        call(caller, "ask", "slow")
