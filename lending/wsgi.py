import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lending.settings")
application = get_wsgi_application()

# A web process's garbage collector (issue 15, "Load"): the modules, models and settings loaded above live as long as
# the process, so they are frozen out of every collection; and the youngest generation is collected every 50,000
# new objects, not 700 (a page makes tens of thousands, most freed by reference counting): a request's own objects
# were scanned again and again, about 5 % of a page's CPU (bench/profile_pages.py with gc callbacks: 0.27 s of GC
# in 5.6 s, 0.08-0.12 s after). Memory held by cycles waits a little longer, bounded by that count.
gc.freeze()
gc.set_threshold(50_000, *gc.get_threshold()[1:])
