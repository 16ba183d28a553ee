import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# A training mechanism on real cases, or production on a training database,
# does not start (training/guard.py).
from training.guard import refuse_mismatched_database  # noqa: E402

refuse_mismatched_database()
