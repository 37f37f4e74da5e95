"""gunicorn's settings for the web process (read from the working directory: ``gunicorn
backoffice.wsgi:application`` in the repository root). Threaded workers keep HTTP connections
alive between requests (a sync worker closes each one), which API clients and a load balancer
reuse: measured by ``python -m bench --only y,h`` (bench/README.md). Each can be overridden on
the command line or through GUNICORN_CMD_ARGS."""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 30  # seconds an idle client connection stays open
timeout = 60
