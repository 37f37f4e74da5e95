"""Loading list files: the command, bad rows, the duplicate refusal, FTM JSON lines, version replacement."""

import json

import pytest
from django.core.management import CommandError, call_command

from compliance.screening import exceptions as exc
from compliance.screening import matching, services
from compliance.screening.models import ListEntry, ListVersion, WatchList

pytestmark = pytest.mark.django_db
HEADER = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset," \
         "first_seen,last_seen,last_change\n"


def csv_file(tmp_path, rows, name="list.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_command_loads_good_rows_and_reports_bad_ones(tmp_path, capsys):
    path = csv_file(tmp_path, [
        "x1,Person,John Doe Smuggler,Johnny Smuggler;Джон Доу,1970-02-03,us;mx,,,OFAC SDN,,,t,,,",
        ",Person,No Id,,,,,,,,,t,,,",
        "x3,Person,,,,,,,,,,t,,,",
        "x4,Person,Bad Date,,03/02/1970,,,,,,,t,,,",
        "x5,Person,Bad Country,,,Russia,,,,,,t,,,",
        "x1,Person,Duplicate,,,,,,,,,t,,,",
        "x7,Organization,Acme Smuggling Ltd,,,,,,,,,t,,,",
    ])
    call_command("load_watchlist", "TEST", str(path), "--name", "Test list", "--no-rescreen")
    out = capsys.readouterr()
    assert "2 entries loaded, 5 rejected" in out.out
    for line, reason in [(3, "no id"), (4, "no name"), (5, "birth date '03/02/1970'"), (6, "country 'russia'"),
                         (7, "duplicate id 'x1' (first on line 2)")]:
        assert f"line {line}: {reason}" in out.err
    version = ListVersion.objects.get(list__code="TEST")
    assert (version.is_active, version.entry_count, version.rejected_count) == (True, 2, 5)
    entry = ListEntry.objects.get(version=version, external_id="x1")
    assert entry.aliases == ["Johnny Smuggler", "Джон Доу"]
    assert entry.names == ["john doe smuggler", "johnny smuggler", "dzhon dou"]
    assert (entry.birth_dates, entry.countries, entry.programs) == (["1970-02-03"], ["us", "mx"], ["OFAC SDN"])
    assert ListEntry.objects.get(external_id="x7").names == ["acme smuggling"]


def test_the_same_file_twice_is_refused(tmp_path):
    path = csv_file(tmp_path, ["x1,Person,John Doe,,,,,,,,,t,,,"])
    call_command("load_watchlist", "TEST", str(path), "--no-rescreen")
    with pytest.raises(CommandError, match="watchlist_file_duplicate"):
        call_command("load_watchlist", "TEST", str(path), "--no-rescreen")
    assert ListVersion.objects.filter(list__code="TEST").count() == 1


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe garbage", "not UTF-8"),
    (b"id,name\nx1,John\n", r"lacks the column\(s\) schema"),
    (HEADER.encode() + b",Person,,,,,,,,,,,,,\n", "no loadable entry"),
])
def test_a_bad_file_exits_non_zero_and_loads_nothing(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("load_watchlist", "TEST", str(path), "--no-rescreen")
    assert not ListVersion.objects.exists()


def test_ftm_json_lines(tmp_path):
    lines = [
        {"id": "ftm-1", "schema": "Person", "properties": {"name": ["Ivan Petrov"], "alias": ["Иван Петров"],
                                                          "birthDate": ["1961-05-06"], "nationality": ["ru"],
                                                          "topics": ["sanction"]}},
        {"id": "ftm-s", "schema": "Sanction", "properties": {"program": ["X"]}},  # not a target: skipped
        {"id": "ftm-2", "schema": "Company", "properties": {"name": ["Petrov Trading OOO"], "country": ["ru"]}},
    ]
    path = tmp_path / "list.ftm.json"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{broken\n", encoding="utf-8")
    services.watchlist_ensure(code="FTM", kind=WatchList.Kind.PEP)
    result = services.version_load(list_code="FTM", content=path.read_bytes(), file_name=path.name, fmt="ftm-json",
                                   rescreen=False)
    assert (result.version.entry_count, result.skipped) == (2, 1)
    assert result.rejected == [{"line": 4, "reason": "not JSON: Expecting property name enclosed in double quotes"}]
    person = ListEntry.objects.get(external_id="ftm-1")
    assert (person.names, person.birth_dates, person.countries, person.programs) == (
        ["ivan petrov"], ["1961-05-06"], ["ru"], ["sanction"])


def test_a_new_version_replaces_the_active_one(tmp_path, django_capture_on_commit_callbacks):
    services.watchlist_ensure(code="TEST")
    v1 = services.version_load(list_code="TEST", content=(HEADER + "x1,Person,John Doe Smuggler,,,,,,,,,t,,,\n")
                               .encode(), file_name="v1.csv", rescreen=False).version
    assert matching.search("John Doe Smuggler")[0].entry.version_id == v1.pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        v2 = services.version_load(list_code="TEST", content=(HEADER + "x2,Person,Jane Roe Launderer,,,,,,,,,t,,,\n")
                                   .encode(), file_name="v2.csv").version
    assert len(callbacks) == 1  # the rescreen is enqueued after the commit
    v1.refresh_from_db()
    assert (v1.is_active, v2.is_active) == (False, True)
    assert ListEntry.objects.filter(version=v1).count() == 1  # the old version is kept
    assert matching.search("John Doe Smuggler") == []  # the index followed the new version
    assert matching.search("Jane Roe Launderer")[0].entry.version_id == v2.pk


def test_unknown_list_is_refused():
    with pytest.raises(exc.WatchListNotFound):
        services.version_load(list_code="NOPE", content=b"x", file_name="x.csv")
