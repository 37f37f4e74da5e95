from celery import shared_task

from .relay import relay_pass


@shared_task(name="webhooks.relay", ignore_result=True)
def relay() -> dict[str, int]:
    """One relay pass (beat-driven every WEBHOOKS_RELAY_INTERVAL seconds, and woken on commit)."""
    return relay_pass()
