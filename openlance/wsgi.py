import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openlance.settings")
application = get_wsgi_application()

# A web process keeps some 220,000 objects from start-up (modules, models, URL patterns)
# that live as long as it does. Python's full garbage collection walked them all, about
# 100 ms, every few hundred requests: a stall that fell on whichever request was running.
# The URLconf, which Django otherwise imports at the first request, is imported here so
# that its views are among them, and all of them are set aside from collection
# (gc.freeze, as Python's documentation advises for long-lived servers).
get_resolver().url_patterns  # noqa: B018 (imports every view module)
gc.freeze()
