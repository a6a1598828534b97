"""The gateway's RPC pool (gateway.rpc) when the broker goes away in the middle of a call.

The gateway reaches the test broker through a TCP relay that the test cuts, as a broker restart
would: every open connection closes and new ones are refused."""

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import eventlet
import pytest

from gateway.rpc import RpcPool
from tests.integration.test_rpc import PeerService
from wire.errors import Unavailable


class Relay:
    """Forwards connections to `upstream`; after cut(), closes them all and refuses new ones,
    counting the refused attempts."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.cut_off = False
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.cut_off:
                self.refused += 1
                client.close()
                continue
            upstream = socket.create_connection(self.upstream)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        sink.close()

    def restore(self):
        """Accept connections again, as a restarted broker does."""
        self.cut_off = False

    def cut(self):
        self.cut_off = True
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.server.close()


@pytest.fixture
def relay(config):
    url = urlsplit(config["AMQP_URI"])
    relay = Relay((url.hostname, url.port))
    yield relay
    relay.close()


def relayed_config(config, relay) -> dict:
    url = urlsplit(config["AMQP_URI"])
    netloc = f"{url.username}:{url.password}@127.0.0.1:{relay.port}"
    return {**config, "AMQP_URI": urlunsplit(url._replace(netloc=netloc))}


def test_a_call_whose_broker_goes_away_answers_at_once_without_reconnecting(start_container, config, relay):
    """nameko's own reply consumer reconnects, with kombu's retries, before it gives up: with the
    broker down that held the request for seconds past RPC_TIMEOUT (reliability scenario 3)."""
    start_container(PeerService)
    pool = RpcPool(relayed_config(config, relay), size=2, timeout=3)
    threading.Timer(0.5, relay.cut).start()  # while the peer sleeps on the call
    with pytest.raises(Unavailable, match="The message broker is unreachable"):
        pool.call("rpc_test_peer", "slow")
    assert relay.refused == 0, "the broken proxy tried to reconnect"
    pool.close()


def test_once_the_broker_is_back_no_call_draws_a_dead_proxy(start_container, config, relay):
    """A broker restart while the gateway is idle (issue 22, point 7) closes every pooled proxy's
    connection; each used to be drawn by a request in turn, which published and then lost its
    reply: a 503 for each, 22 in a row once. Now none is lent dead."""
    start_container(PeerService)
    pool = RpcPool(relayed_config(config, relay), size=4, timeout=3)
    calls = [eventlet.spawn(pool.call, "rpc_test_peer", "echo", n) for n in range(4)]
    assert [call.wait() for call in calls] == list(range(4))
    assert pool._idle.qsize() >= 2, "the calls above should have left several proxies idle"
    relay.cut()
    relay.restore()
    assert [pool.call("rpc_test_peer", "echo", n) for n in range(10)] == list(range(10))
    pool.close()
