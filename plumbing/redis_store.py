"""A Redis client per service container, from REDIS_URI."""

import redis
from nameko.extensions import DependencyProvider


def connect(uri: str) -> redis.Redis:
    # Short timeouts: a stopped Redis must fail a call fast, not hang a worker.
    return redis.Redis.from_url(uri, decode_responses=True, socket_timeout=1, socket_connect_timeout=1)


class Redis(DependencyProvider):
    def setup(self):
        self.client = connect(self.container.config["REDIS_URI"])

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.client
