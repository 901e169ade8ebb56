"""The Redis cache, with one client per connection pool instead of one per call.

Django's Redis backend builds a `redis.Redis` for every cache call, and building one sets up its
response-callback table: about ninety microseconds, several times per API request
(key lookup, throttle, rule-set versions). A client is thread-safe and takes a connection from
its pool for each command, so one per pool serves every thread of the process; after a fork the
pool notices the new process and opens connections of its own.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class _ClientPerPool(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ClientPerPool
