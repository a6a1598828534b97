"""TLS to the broker is configuration: amqps:// in AMQP_URI and kombu's ssl options in AMQP_SSL
(YAML in the variable), passed by nameko to every connection it makes."""

from nameko.amqp.publish import get_connection

from plumbing.config import load_config

OPTIONS = {"ca_certs": "/etc/oms/ca.pem", "certfile": "/etc/oms/cert.pem", "keyfile": "/etc/oms/key.pem",
           "cert_reqs": 2}


def test_amqps_with_ca_cert_and_key_reaches_kombu(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqps://oms-orders:secret@rabbit.internal:5671/oms")
    monkeypatch.setenv("AMQP_SSL", "{ca_certs: /etc/oms/ca.pem, certfile: /etc/oms/cert.pem,"
                                   " keyfile: /etc/oms/key.pem, cert_reqs: 2}")
    config = load_config()
    assert config["AMQP_SSL"] == OPTIONS
    with get_connection(config["AMQP_URI"], ssl=config["AMQP_SSL"]) as connection:  # not connected yet
        assert connection.ssl == OPTIONS
        assert (connection.hostname, connection.port, connection.virtual_host) == ("rabbit.internal", 5671, "oms")


def test_without_amqp_ssl_there_are_no_tls_options(monkeypatch):
    monkeypatch.delenv("AMQP_SSL", raising=False)
    assert load_config()["AMQP_SSL"] is None
