"""The Redis cache keeps one client per connection pool."""

import pytest
from django.conf import settings

from leadfollow.cache import RedisCache

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis: set REDIS_URL=redis://…/15 to run it"
)


@pytest.fixture
def cache():
    backend = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-cache-client"})
    yield backend
    backend.delete_many(["a", "b"])


def test_every_call_shares_one_client(cache):
    assert cache._cache.get_client() is cache._cache.get_client(write=True)


def test_the_shared_client_reads_what_it_wrote(cache):
    cache.set("a", {"n": 1})
    cache.add("b", 1)
    assert cache.incr("b") == 2
    assert cache.get("a") == {"n": 1}
