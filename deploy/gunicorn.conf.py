"""gunicorn's configuration for the NRM service (docs/operations.md).

Run from the checkout: `gunicorn -c deploy/gunicorn.conf.py`. Values come
from the environment (the systemd unit reads /etc/nrm/nrm.env), with defaults
for one server behind a reverse proxy on the same machine.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
# Loopback only: a reverse proxy (nginx, Apache, a load balancer) terminates
# TLS and forwards here. Several addresses: separate them with commas.
bind = [a for a in os.environ.get("NRM_BIND", "127.0.0.1:8000").split(",") if a]
workers = int(os.environ.get("NRM_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = int(os.environ.get("NRM_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (a slow leak never grows for weeks).
max_requests = 2000
max_requests_jitter = 200
# Heartbeats in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# The proxy's X-Forwarded-For/-Proto are trusted only from these addresses.
forwarded_allow_ips = os.environ.get("NRM_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Requests larger than any form of the service are refused early.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Logs go to the journal (stdout/stderr). The access log names the path only:
# no query string, no referrer, no user agent (URLs carry ids and codes only,
# but a query string is where a mistyped name would land).
accesslog = "-" if os.environ.get("NRM_ACCESS_LOG", "1") == "1" else None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("NRM_GUNICORN_LOG_LEVEL", "info")
proc_name = "nrm-web"
