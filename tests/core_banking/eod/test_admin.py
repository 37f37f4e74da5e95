"""The end of day in the admin: the runs with their steps and history, the chunks with their
errors, nothing editable, and the re-run action for holders of ``eod.start_eodrun`` only."""

from __future__ import annotations

import pytest

from core_banking.eod import services, tasks
from core_banking.eod.models import EodChunk, EodRun
from tests.core_banking.api_auth import ensure_roles, sign_in, staff_user

from . import steps
from .conftest import FRIDAY

pytestmark = pytest.mark.django_db

RUNS = "/admin/eod/eodrun/"
CHUNKS = "/admin/eod/eodchunk/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


def _signed_in(client, role=None, **kwargs):
    return sign_in(client, staff_user(role, **kwargs))


@pytest.fixture
def failed_run(eod_steps, population, settings):
    settings.EOD_CHUNK_ATTEMPTS = 1
    steps.FAILURES[population[3].pk] = 1  # the flaky step's second chunk fails its only attempt
    run = services.eod_start()
    tasks.kick(run)
    run.refresh_from_db()
    assert run.status == EodRun.Status.FAILED
    return run


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_pages_render_and_nothing_can_be_added_changed_or_deleted(client, failed_run):
    _signed_in(client, superuser=True)
    listing = client.get(RUNS)
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "2/3 steps" in text and "test.flaky" in text  # credit and empty completed, flaky failed
    assert client.get(RUNS, {"status__exact": "failed"}).status_code == 200
    assert client.get(RUNS, {"q": "2030-01-04"}).status_code == 200
    assert client.get(RUNS, {"q": "not a date"}).status_code == 200

    page = client.get(f"{RUNS}{failed_run.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("Credit one euro", "Nothing to do", "Credit one euro, failing at times", "4 / 4", "3 / 4",
                     "1 failed", "1 failed chunk(s)", "history", "started"):
        assert expected in text, expected
    assert 'name="steps-0-position"' not in text  # the inline is read-only

    chunk = EodChunk.objects.get(step__run=failed_run, status=EodChunk.Status.FAILED)
    failed = client.get(CHUNKS, {"status__exact": "failed", "step__name": "test.flaky"})
    assert failed.status_code == 200
    assert "RuntimeError: flaky chunk starting at" in failed.content.decode()
    assert client.get(CHUNKS, {"q": "2030-01-04"}).status_code == 200
    assert client.get(CHUNKS, {"q": "garbage"}).status_code == 200
    assert client.get(CHUNKS, {"step__id__exact": chunk.step_id}).status_code == 200
    detail = client.get(f"{CHUNKS}{chunk.pk}/change/")
    assert detail.status_code == 200 and "Traceback" in detail.content.decode()

    assert client.get(f"{RUNS}add/").status_code == 403
    assert client.get(f"{CHUNKS}add/").status_code == 403
    assert client.post(f"{RUNS}{failed_run.pk}/change/", {"status": "completed"}).status_code == 403
    assert client.post(f"{RUNS}{failed_run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{CHUNKS}{chunk.pk}/delete/", {"post": "yes"}).status_code == 403
    failed_run.refresh_from_db()
    assert failed_run.status == EodRun.Status.FAILED


def test_the_re_run_action_needs_the_start_permission(client, failed_run):
    officer = _signed_in(client, "compliance_officer")
    page = officer.get(RUNS)
    assert page.status_code == 200 and b"rerun_selected" not in page.content
    response = officer.post(RUNS, {"action": "rerun_selected", "_selected_action": [failed_run.pk]}, follow=True)
    failed_run.refresh_from_db()
    assert (failed_run.status, failed_run.attempts) == (EodRun.Status.FAILED, 1)
    client.logout()

    support = _signed_in(client, "support_agent")
    assert support.get(RUNS).status_code == 403
    assert support.get(CHUNKS).status_code == 403
    client.logout()

    operator = _signed_in(client, "operations")
    assert b"rerun_selected" in operator.get(RUNS).content
    steps.FAILURES.clear()
    response = operator.post(RUNS, {"action": "rerun_selected", "_selected_action": [failed_run.pk]}, follow=True)
    assert response.status_code == 200
    failed_run.refresh_from_db()
    assert (failed_run.status, failed_run.attempts) == (EodRun.Status.COMPLETED, 2)
    assert _messages(response) == ["End of day 2030-01-04: re-run sent (attempt 2); the run is completed."]
    change = failed_run.history.get(from_status="failed")
    assert change.actor.username.startswith("operations") and change.reason == "re-run"

    again = operator.post(RUNS, {"action": "rerun_selected", "_selected_action": [failed_run.pk]}, follow=True)
    assert _messages(again) == ["End of day 2030-01-04: already completed, nothing to re-run."]
    assert EodRun.objects.get(business_date=FRIDAY).attempts == 2


def test_a_re_run_that_fails_again_says_so(client, failed_run):
    operator = _signed_in(client, "finance")
    steps.FAILURES[failed_run.steps.get(name="test.flaky").chunks.get(status="failed").first_id] = 1
    response = operator.post(RUNS, {"action": "rerun_selected", "_selected_action": [failed_run.pk]}, follow=True)
    (message,) = _messages(response)
    assert message.startswith("End of day 2030-01-04: re-run (attempt 2) failed again: step test.flaky")
    failed_run.refresh_from_db()
    assert (failed_run.status, failed_run.attempts) == (EodRun.Status.FAILED, 2)
