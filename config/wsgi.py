import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# A training mechanism on real cases, or production on a training database,
# does not start (training/guard.py).
from django.db import connections  # noqa: E402

from training.guard import refuse_mismatched_database  # noqa: E402

refuse_mismatched_database()
# The check opened a database connection. A server that loads the app once
# and then forks its workers (gunicorn --preload) would hand that one socket
# to every worker, and their queries would interleave on it: close it, so
# each worker opens its own. (Not inside a transaction: a test that imports
# this module keeps its connection.)
for connection in connections.all(initialized_only=True):
    if not connection.in_atomic_block:
        connection.close()
