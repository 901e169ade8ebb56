import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadfollow.settings")
application = get_wsgi_application()

# Load every view module now, then move all that start-up built (about 150,000 objects: models,
# URL patterns, DRF, the SDKs) out of the garbage collector's sight. The collector otherwise walks
# them all on each full collection, a pause of 50-150 ms that lands on whichever request happened
# to allocate last; frozen, a full collection walks only what requests keep. A young generation
# of 20,000 objects instead of 700 lets a page's rows come and go without a collection each.
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and through it the views
gc.freeze()
gc.set_threshold(20_000, 10, 10)
