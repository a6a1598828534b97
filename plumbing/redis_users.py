"""Redis users with least privilege: one ACL user per process, limited to the keys and commands it
needs (Redis 7 ACLs, `%R~` for keys it may only read).

Keys belong to the process that writes them, under its prefix, and each module that uses Redis
declares what it does there as a `RedisGrant` beside its keys:
- `oms:auth:*`, users': refresh tokens, which only users reads (users/tokens.py), and revocations,
  which every verifier of tokens reads (plumbing/tokens.py);
- `oms:products:*`, products': the product cache and the catalog's generation, which the gateway
  reads (plumbing/product_cache.py);
- `oms:gateway:*`, the gateway's: search pages and rate-limit counters.
A service's grant is read off its class (its dependencies' `redis_grant`), as its broker grant is.

`make run` and the tests create the users through config REDIS.ADMIN_URI (passwords from
REDIS.PASSWORDS), and save them when the server has an ACL file; each process then connects with
`redis_uri_for` its principal."""

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import redis

from plumbing.production import UnsafeProduction, is_production
from plumbing.redis_store import connect

# Every connection may select the database of its URL (keys are not per database anyway).
CONNECT_COMMANDS = frozenset({"select"})


@dataclass(frozen=True)
class RedisGrant:
    """What one piece of code does in Redis: key patterns it reads, key patterns it reads and
    writes, and the commands it sends (those its scripts call included)."""

    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()
    commands: frozenset[str] = frozenset()

    def __or__(self, other: "RedisGrant") -> "RedisGrant":
        return RedisGrant(self.read | other.read, self.write | other.write, self.commands | other.commands)


def grant(read=(), write=(), commands=()) -> RedisGrant:
    return RedisGrant(frozenset(read), frozenset(write), frozenset(commands))


def redis_grant_of(service_cls) -> RedisGrant:
    """The union of the grants its dependencies declare (`redis_grant`)."""
    combined = RedisGrant()
    for attr in dir(service_cls):
        declared = getattr(getattr(service_cls, attr), "redis_grant", None)
        if isinstance(declared, RedisGrant):
            combined |= declared
    return combined


def acl_rules(allowed: RedisGrant, password: str) -> list[str]:
    """ACL SETUSER rules: everything the user had is reset first, so a grant that shrank shrinks."""
    return [
        "reset",
        "on",
        f">{password}",
        *(f"%R~{pattern}" for pattern in sorted(allowed.read - allowed.write)),
        *(f"~{pattern}" for pattern in sorted(allowed.write)),
        "resetchannels",
        "-@all",
        *(f"+{command}" for command in sorted(allowed.commands | CONNECT_COMMANDS)),
    ]


def user_name(config: dict, principal: str) -> str:
    return f"{config['REDIS']['USER_PREFIX']}-{principal}"


def redis_uri_for(config: dict, principal: str) -> str:
    """config's REDIS_URI with the credentials of `principal`'s Redis user."""
    parts = urlsplit(config["REDIS_URI"])
    user = quote(user_name(config, principal), safe="")
    password = quote(config["REDIS"]["PASSWORDS"][principal], safe="")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def _save_if_persistent(admin: redis.Redis) -> None:
    # A server started with an ACL file keeps the users across restarts only once saved there.
    if admin.config_get("aclfile").get("aclfile"):
        admin.execute_command("ACL", "SAVE")


def provision(config: dict, grants: dict[str, RedisGrant]) -> None:
    """Create or update a user per principal of `grants` (password from config REDIS.PASSWORDS).
    In production mode, refuse a server whose default user takes connections without a password."""
    admin = connect(config["REDIS"]["ADMIN_URI"])
    try:
        if is_production(config):
            default = admin.acl_getuser("default") or {}
            if "on" in default.get("flags", []) and "nopass" in default.get("flags", []):
                raise UnsafeProduction(
                    "OMS_ENV=production: Redis takes connections without a password (its default user is "
                    "on and nopass): give it a password (requirepass) and put it in REDIS_ADMIN_URI"
                )
        passwords = config["REDIS"]["PASSWORDS"]
        for principal, allowed in grants.items():
            admin.execute_command("ACL", "SETUSER", user_name(config, principal),
                                  *acl_rules(allowed, passwords[principal]))
        _save_if_persistent(admin)
    finally:
        admin.close()


def unprovision(config: dict, principals: list[str]) -> None:
    """Remove the users of `principals` (their connections are closed by Redis)."""
    admin = connect(config["REDIS"]["ADMIN_URI"])
    try:
        admin.execute_command("ACL", "DELUSER", *(user_name(config, principal) for principal in principals))
        _save_if_persistent(admin)
    finally:
        admin.close()
