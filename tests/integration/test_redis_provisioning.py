"""Creating the Redis users (plumbing/redis_users.py): saved where the server keeps an ACL file,
refused in production on a server anyone can reach without a password, one namespace's users
apart from another's."""

import socket
import subprocess
import time

import pytest
import redis

from plumbing.production import UnsafeProduction
from plumbing.redis_store import connect
from plumbing.redis_users import provision, redis_uri_for, unprovision, user_name
from scripts.provision import redis_grants

ADMIN_PASSWORD = "private-admin-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, its users in an ACL file whose default user has a
    password, as docker-compose.yml starts one."""

    def __init__(self, directory):
        self.port = free_port()
        self.acl_file = directory / "users.acl"
        self.acl_file.write_text(f"user default on >{ADMIN_PASSWORD} ~* &* +@all\n")
        self.directory = directory
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--aclfile", str(self.acl_file)],
            stdout=subprocess.DEVNULL,
        )
        admin = connect(self.admin_uri)
        deadline = time.monotonic() + 30
        while True:
            try:
                admin.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        admin.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)

    @property
    def admin_uri(self) -> str:
        return f"redis://default:{ADMIN_PASSWORD}@127.0.0.1:{self.port}/0"


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def on_server(config: dict, server: PrivateRedis, **changes) -> dict:
    return {**config, "REDIS_URI": f"redis://127.0.0.1:{server.port}/0",
            "REDIS": {**config["REDIS"], "ADMIN_URI": server.admin_uri}, **changes}


def test_a_server_with_an_acl_file_keeps_the_users_across_a_restart(config, private_redis):
    private = on_server(config, private_redis, ENV="production")  # a default user with a password passes
    provision(private, redis_grants())
    private_redis.stop()
    private_redis.start()
    gateway = connect(redis_uri_for(private, "gateway"))
    assert gateway.mget("oms:auth:revoked-session:x") == [None]
    with pytest.raises(redis.exceptions.NoPermissionError):
        gateway.set("oms:auth:refresh:x", "{}")
    gateway.close()

    unprovision(private, list(redis_grants()))
    private_redis.stop()
    private_redis.start()
    admin = connect(private_redis.admin_uri)
    assert admin.acl_users() == ["default"]
    admin.close()


def test_production_refuses_a_redis_anyone_can_reach_without_a_password(config, redis_client):
    # This machine's Redis lets its default user in without a password (development).
    other = {**config, "ENV": "production", "REDIS": {**config["REDIS"], "USER_PREFIX": "never-created"}}
    with pytest.raises(UnsafeProduction, match="without a password"):
        provision(other, redis_grants())
    assert not [user for user in redis_client.acl_users() if user.startswith("never-created")]


def test_two_namespaces_have_users_of_their_own(config, redis_client):
    other = {**config, "REDIS": {**config["REDIS"], "USER_PREFIX": config["REDIS"]["USER_PREFIX"] + "_other"}}
    provision(other, redis_grants())
    try:
        assert user_name(other, "orders") in redis_client.acl_users()
    finally:
        unprovision(other, list(redis_grants()))
    users = redis_client.acl_users()
    assert user_name(other, "orders") not in users and user_name(config, "orders") in users
    own = connect(redis_uri_for(config, "orders"))
    assert own.mget("oms:auth:revoked-session:x") == [None]
    own.close()
