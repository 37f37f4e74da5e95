"""The screening API: lists and versions, the upload, ad hoc screening, hits; who may call it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.screening.models import ListVersion, ScreeningHit
from compliance.screening.roles import SCREENING_ROLE_PERMISSIONS
from tests.core_banking.ledger.interfaces import assert_problem, ensure_roles, grant, staff_api, staff_user, token_api

pytestmark = pytest.mark.django_db
BASE = "/api/v1/compliance/screening/"
HEADER = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset," \
         "first_seen,last_seen,last_change\n"


def api_for(role):
    user = staff_user(role)
    grant(user, *SCREENING_ROLE_PERMISSIONS[role])  # until the roles catalogue merges them (idempotent after)
    return staff_api(user)


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


def test_lists_versions_and_upload(sample):
    officer = api_for("compliance_officer")
    lists = officer.get(f"{BASE}lists/").json()
    assert [(x["code"], x["active_version"]) for x in lists] == [("SAMPLE", sample.pk)]
    versions = officer.get(f"{BASE}lists/SAMPLE/versions/").json()
    assert [(v["id"], v["entry_count"], v["is_active"]) for v in versions] == [(sample.pk, 42, True)]

    file = SimpleUploadedFile("v2.csv", (HEADER + "n1,Person,Jane Roe Launderer,,,,,,,,,t,,,\n,Person,x,,,,,,,,,t,,,\n")
                             .encode(), content_type="text/csv")
    response = officer.post(f"{BASE}lists/SAMPLE/versions/", {"file": file, "format": "opensanctions-csv"},
                            format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["entry_count"], body["rejected"], body["is_active"]) == (1, [{"line": 3, "reason": "no id"}], True)
    assert ListVersion.objects.get(pk=sample.pk).is_active is False

    file.seek(0)
    assert_problem(officer.post(f"{BASE}lists/SAMPLE/versions/", {"file": file}, format="multipart"), status=409,
                   code="watchlist_file_duplicate")
    assert_problem(officer.get(f"{BASE}lists/NOPE/versions/"), status=404, code="watchlist_not_found")
    reviewer = api_for("compliance_reviewer")
    file.seek(0)
    assert reviewer.post(f"{BASE}lists/SAMPLE/versions/", {"file": file}, format="multipart").status_code == 403


def test_screen_a_name_ad_hoc(sample):
    reviewer = api_for("compliance_reviewer")
    response = reviewer.post(f"{BASE}screen/", {"name": "Putin Wladimir", "date_of_birth": "1952-10-07",
                                                "country": "RU"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "match" and body["normalised"] == "putin wladimir"
    assert body["candidates"][0]["external_id"] == "sample-putin" and body["candidates"][0]["score"] == 100
    assert not ScreeningHit.objects.exists()  # ad hoc screening records nothing
    clear = reviewer.post(f"{BASE}screen/", {"name": "Ada Lovelace"}, format="json").json()
    assert (clear["outcome"], clear["candidates"]) == ("clear", [])
    assert_problem(reviewer.post(f"{BASE}screen/", {}, format="json"), status=400, code="validation_error")


def test_hits_list_detail_decide(sample, hook):
    from backoffice.kyc import screening as kyc

    kyc.screen(kyc.ScreeningSubject(kind="person", name="Igor Sechin", reference="prospect-1"))
    hit = ScreeningHit.objects.get()
    reviewer = api_for("compliance_reviewer")
    rows = reviewer.get(f"{BASE}hits/", {"status": "open"}).json()["results"]
    assert [r["id"] for r in rows] == [hit.pk]
    detail = reviewer.get(f"{BASE}hits/{hit.pk}/").json()
    assert (detail["external_id"], detail["list"], detail["status"]) == ("sample-sechin", "SAMPLE", "open")
    decided = reviewer.post(f"{BASE}hits/{hit.pk}/decide/", {"decision": "cleared", "note": "not him"}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "cleared"
    assert_problem(reviewer.post(f"{BASE}hits/{hit.pk}/decide/", {"decision": "confirmed", "note": "x"},
                                 format="json"), status=409, code="screening_hit_decided")
    assert_problem(reviewer.get(f"{BASE}hits/999999/"), status=404, code="screening_hit_not_found")


def test_who_may_call(sample):
    assert staff_api(staff_user("operations")).get(f"{BASE}lists/").status_code == 403
    assert staff_api(staff_user("support_agent")).post(f"{BASE}screen/", {"name": "x"}, format="json").status_code \
        == 403
    partner = token_api(role="compliance_officer", scopes=["compliance"], kind="partner")
    assert partner.get(f"{BASE}lists/").status_code == 403
    no_scope = token_api(role="compliance_officer", scopes=["ledger"])
    assert no_scope.get(f"{BASE}lists/").status_code == 403
