"""Project-wide Celery tasks."""

from celery import shared_task


@shared_task(name="backoffice.ping")
def ping(payload: str) -> dict:
    """Round-trip probe used by `/readyz`-style checks and the worker test: echoes its payload
    together with the worker's host name, so a caller can prove a real worker ran it."""
    import socket

    return {"payload": payload, "hostname": socket.gethostname(), "pid": __import__("os").getpid()}
