import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openlance.settings")
application = get_wsgi_application()

# A web process keeps some 200,000 objects from start-up (modules, models, URL patterns)
# for as long as it lives, and Python's full garbage collection walked them all, about
# 100 ms, every few hundred requests: a stall on whichever request was running. The
# URLconf and its reverse map, which Django would otherwise build at the first requests,
# are built here, and then everything that exists is moved out of the collector's sight
# (gc.freeze). What requests make later (compiled templates, cached statements) is still
# collected as before. gunicorn runs this in each worker, after it forks.
get_resolver().reverse_dict  # noqa: B018 (imports every view module, builds the reverse map)
gc.collect()
gc.freeze()
