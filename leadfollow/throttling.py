"""Per-API-key rate limits. Answers 429 with Retry-After."""

import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyThrottle(SimpleRateThrottle):
    """A counter per key and fixed window (a minute for "1200/min").

    DRF's own throttle keeps one timestamp per request in the window and writes the whole list
    back on every call, so a busy source paid for its own history on each lead. A counter costs
    the same at any rate. A burst across a window's end may see up to twice the limit.
    """

    scope = "api_key"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view) -> str | None:
        api_key = getattr(request, "auth", None)
        if api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        counter = f"{key}:{window}"
        try:
            count = self.cache.incr(counter)
        except ValueError:  # the window's first request: `add` loses a race to another one
            if self.cache.add(counter, 1, timeout=self.duration + 1):
                return True
            count = self.cache.incr(counter)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(math.ceil(self.window_ends_at - self.now), 1)
