"""Broker users with least privilege: one RabbitMQ user per process, limited to what it needs.

nameko's resources on a vhost:
- `nameko-rpc`, a topic exchange: a request's routing key is `<service>.<method>`, bound by
  the queue `rpc-<service>`; a reply's is `reply.<principal>.<uuid>`, bound by the caller's reply
  queue `rpc.reply-<principal>-<uuid>`, where the principal is the broker user the caller
  connects as (nameko names both by the service and a bare uuid: plumbing/entrypoints.py);
  `nameko shell`'s own proxy `n.rpc` still uses nameko's names: only operators may bind bare
  uuids and read `rpc.reply-standalone_rpc_proxy-<uuid>`, so those replies are theirs alone;
- `<service>.events`, a topic exchange per publisher: an event's routing key is its type, bound
  by a consumer's queue `evt-<source>-<type>--<service>.<handler>`.

So a principal is allowed (RabbitMQ's configure / write / read on names, and topic permissions on
routing keys):
- its own queues only, and `nameko-rpc`, which every RPC participant declares;
- requests on `nameko-rpc` only to the services it calls, and bindings there only for its own
  requests and its own replies' keys: it can't read another principal's calls or replies;
- publishing only on its own event exchange, and binding only the event types it handles.
Every event exchange is declared here, by its owner, so a consumer needs no right on it beyond
binding (config DECLARE_EVENT_EXCHANGES: false).

Every message we publish names its publisher in the `user_id` property, which RabbitMQ checks
against the connection's user (only a user tagged `impersonator`, the test suite's, may name
another): a handler knows which principal published an event, a service which one sent a request."""

from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from uuid import uuid4

import requests
from kombu import Connection
from nameko.rpc import get_rpc_exchange
from nameko.standalone.events import get_event_exchange

from contracts.events import SOURCES

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
RPC_EXCHANGE = "nameko-rpc"
NAMEKO_STANDALONE = "standalone_rpc_proxy"  # nameko's name for a standalone proxy's reply queues
NOTHING = "^$"
EVERYTHING = ".*"


@dataclass(frozen=True)
class Grant:
    """What one principal does on the broker."""

    principal: str
    serves_rpc: bool = False  # a service: consumes rpc-<principal>
    calls: tuple[str, ...] = ()  # services it sends requests to
    publishes: tuple[str, ...] = ()  # its event types, on <principal>.events
    consumes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source -> event types
    nameko_shell: bool = False  # operators: `nameko shell` starts nameko's own proxy (n.rpc)


def grant_of(service_cls, config: dict) -> Grant:
    """What a service class does on the broker, read off its declarations: its RPCs, the peers it
    calls (and users, for its client token), its outbox's events, its handlers' events."""
    from plumbing.handlers import handler_spec
    from plumbing.outbox import Outbox
    from plumbing.rpc import TOKEN_SERVICE, RpcProxy

    name = service_cls.name
    members = {attr: getattr(service_cls, attr) for attr in dir(service_cls)}
    calls = {member.target_service for member in members.values() if isinstance(member, RpcProxy)}
    if calls and name in config.get("SERVICE_CLIENTS", {}):
        calls.add(TOKEN_SERVICE)
    consumes: dict[str, set] = {}
    for attr in members:
        spec = handler_spec(service_cls, attr)
        if spec is not None:
            consumes.setdefault(spec.source_service, set()).add(spec.event_type)
    has_outbox = any(isinstance(member, Outbox) for member in members.values())
    return Grant(
        principal=name,
        serves_rpc=any(hasattr(member, "access") for member in members.values()),
        calls=tuple(sorted(calls)),
        publishes=tuple(sorted(t for t, source in SOURCES.items() if source == name)) if has_outbox else (),
        consumes={source: tuple(sorted(types)) for source, types in sorted(consumes.items())},
    )


def _any(patterns) -> str:
    return "^(" + "|".join(patterns) + ")$" if patterns else NOTHING


def _escaped(name: str) -> str:
    return name.replace(".", r"\.")


def permissions(grant: Grant) -> dict:
    """{configure, write, read} and {exchange: {write, read}} topic permissions of a grant."""
    me = _escaped(grant.principal)
    queues = []
    if grant.serves_rpc:
        queues.append(f"rpc-{me}")
    if grant.calls:
        queues.append(rf"rpc\.reply-{me}-{UUID}")
    if grant.nameko_shell:
        queues.append(rf"rpc\.reply-{_escaped(NAMEKO_STANDALONE)}-{UUID}")
    for source in grant.consumes:
        queues.append(rf"evt-{_escaped(source)}-[a-z_]+--{me}\.[a-z_]+")
    own_exchange = [rf"{me}\.events"] if grant.publishes else []
    sources = [rf"{_escaped(source)}\.events" for source in grant.consumes]
    any_reply, own_replies = [rf"reply\.[a-z_]+\.{UUID}", UUID], [rf"reply\.{me}\.{UUID}"]
    if grant.nameko_shell:
        own_replies.append(UUID)
    requests = [rf"{_escaped(service)}\.[a-z_]+" for service in grant.calls]
    topics = {
        RPC_EXCHANGE: {
            "write": _any((any_reply if grant.serves_rpc else []) + requests),
            "read": _any(([rf"{me}\.\*"] if grant.serves_rpc else []) + (own_replies if grant.calls else [])),
        }
    }
    if grant.publishes:
        topics[f"{grant.principal}.events"] = {"write": _any(grant.publishes), "read": NOTHING}
    for source, event_types in grant.consumes.items():
        topics[f"{source}.events"] = {"write": NOTHING, "read": _any(event_types)}
    return {
        "configure": _any([*queues, RPC_EXCHANGE, *own_exchange]),
        "write": _any([*queues, RPC_EXCHANGE, *own_exchange]),
        "read": _any([*queues, RPC_EXCHANGE, *sources]),
        "topics": topics,
    }


def user_name(vhost: str, principal: str) -> str:
    return f"{vhost}-{principal}"


def vhost_of(amqp_uri: str) -> str:
    return urlsplit(amqp_uri).path.lstrip("/") or "/"


def connection_user(config: dict) -> str:
    """The broker user config's AMQP_URI logs in as."""
    return unquote(urlsplit(config["AMQP_URI"]).username or "guest")


def principal_of(config: dict, broker_user: str | None = None) -> str | None:
    """The principal of `broker_user` (default: the one config's AMQP_URI logs in as): its name
    without the vhost's prefix. None for no user."""
    broker_user = connection_user(config) if broker_user is None else broker_user
    if not broker_user:
        return None
    prefix = user_name(vhost_of(config["AMQP_URI"]), "")
    return broker_user.removeprefix(prefix)


def publisher_id(config: dict, principal: str) -> str:
    """The `user_id` a message published by `principal` carries: its broker user's name."""
    return user_name(vhost_of(config["AMQP_URI"]), principal)


def reply_address(config: dict) -> tuple[str, str]:
    """(queue name, routing key) of a new reply queue of the principal config connects as: only
    that principal may bind the key (plumbing/broker.py permissions) or read the queue."""
    principal, uuid = principal_of(config), str(uuid4())
    return f"rpc.reply-{principal}-{uuid}", f"reply.{principal}.{uuid}"


def amqp_uri_for(config: dict, principal: str) -> str:
    """config's AMQP_URI with the credentials of `principal`'s broker user."""
    parts = urlsplit(config["AMQP_URI"])
    user = user_name(vhost_of(config["AMQP_URI"]), principal)
    password = config["BROKER"]["PASSWORDS"][principal]
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"))


class BrokerAdmin:
    """The RabbitMQ management API (config BROKER.ADMIN_URL), as an administrator."""

    def __init__(self, admin_url: str, timeout: float = 10):
        parts = urlsplit(admin_url)
        self.base = urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")))
        self.auth = (parts.username, parts.password)
        self.timeout = timeout

    def _request(self, method: str, path: str, json=None, ok=(200, 201, 204)) -> requests.Response:
        response = requests.request(
            method, f"{self.base}/api/{path}", json=json, auth=self.auth, timeout=self.timeout
        )
        if response.status_code not in ok:
            raise RuntimeError(f"RabbitMQ management {method} {path}: {response.status_code} {response.text}")
        return response

    def add_vhost(self, vhost: str) -> None:
        self._request("PUT", f"vhosts/{quote(vhost, safe='')}")
        # Whoever created it got rights on it; only the principals below have any.
        self._request("DELETE", f"permissions/{quote(vhost, safe='')}/{quote(self.auth[0], safe='')}", ok=(204, 404))

    def delete_vhost(self, vhost: str) -> None:
        self._request("DELETE", f"vhosts/{quote(vhost, safe='')}", ok=(204, 404))

    def set_user(self, vhost: str, user: str, password: str, allowed: dict) -> None:
        v, u = quote(vhost, safe=""), quote(user, safe="")
        self._request("PUT", f"users/{u}", {"password": password, "tags": allowed.get("tags", "")})
        basic = {key: allowed[key] for key in ("configure", "write", "read")}
        self._request("PUT", f"permissions/{v}/{u}", basic)
        self._request("DELETE", f"topic-permissions/{v}/{u}", ok=(204, 404))
        for exchange, topic in allowed["topics"].items():
            self._request("PUT", f"topic-permissions/{v}/{u}", {"exchange": exchange, **topic})

    def delete_user(self, user: str) -> None:
        self._request("DELETE", f"users/{quote(user, safe='')}", ok=(204, 404))

    def connected_users(self, vhost: str) -> set[str]:
        """The users with a connection open to `vhost` now."""
        return {each["user"] for each in self._request("GET", "connections").json() if each["vhost"] == vhost}


def provision(config: dict, grants: list[Grant], extra_users: dict[str, dict] | None = None) -> None:
    """Create the vhost of config's AMQP_URI, a user per grant (password from config
    BROKER.PASSWORDS) with its permissions, the RPC exchange and every event exchange, declared by
    its owner.
    `extra_users`: {principal: {password, configure, write, read, topics, tags}} (the tests' own)."""
    admin = BrokerAdmin(config["BROKER"]["ADMIN_URL"])
    vhost = vhost_of(config["AMQP_URI"])
    admin.add_vhost(vhost)
    passwords = config["BROKER"]["PASSWORDS"]
    for grant in grants:
        admin.set_user(vhost, user_name(vhost, grant.principal), passwords[grant.principal], permissions(grant))
    for principal, allowed in (extra_users or {}).items():
        admin.set_user(vhost, user_name(vhost, principal), allowed["password"], allowed)
    for grant in grants:
        exchanges = [get_event_exchange(grant.principal, {})] if grant.publishes else []  # its own
        if grant is grants[0]:
            exchanges.append(get_rpc_exchange(config))  # every participant may declare it
        if not exchanges:
            continue
        with Connection(amqp_uri_for(config, grant.principal), ssl=config.get("AMQP_SSL")) as connection:
            for exchange in exchanges:
                exchange(connection.default_channel).declare()


def unprovision(config: dict, principals: list[str]) -> None:
    """Remove the vhost of config's AMQP_URI and the users of `principals` on it."""
    admin = BrokerAdmin(config["BROKER"]["ADMIN_URL"])
    vhost = vhost_of(config["AMQP_URI"])
    admin.delete_vhost(vhost)
    for principal in principals:
        admin.delete_user(user_name(vhost, principal))
