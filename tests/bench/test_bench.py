"""The bench's own logic that needs no database: the --check guard, the ratios, the d1 function's SQL."""

import re

from bench import check
from bench.__main__ import compute_ratios, parse_args
from bench.cpu import _per_operation
from bench.rawsql import d1_function_sql
from core_banking.ledger.prepared import STATEMENTS

FLOORS = {"tolerance": 0.2, "floors": {"service_over_raw_workers_1": 0.5, "a_over_d1_workers_1": 0.5,
                                       "h_over_y_workers_4": 0.3}}


def test_check_passes_fails_and_skips():
    doc = {"ratios": {"service_over_raw_workers_1": 0.41, "a_over_d1_workers_1": 0.39}}
    result = check.check(doc, FLOORS)
    assert [e["ratio"] for e in result["passed"]] == ["service_over_raw_workers_1"]  # 0.41 >= 0.5 * 0.8
    assert [e["ratio"] for e in result["failed"]] == ["a_over_d1_workers_1"]  # 0.39 < 0.4
    assert result["skipped"] == ["h_over_y_workers_4"]  # not measured: never a failure
    assert not result["ok"]
    assert "FAIL a_over_d1_workers_1 = 0.39 < 0.4" in check.report(result)


def test_committed_floors_are_ratios():
    floors = check.load_floors()
    assert 0 < floors["tolerance"] < 1
    assert floors["floors"]
    for name, value in floors["floors"].items():
        assert "_over_" in name and 0 < value < 10, name


def test_check_of_a_results_file(tmp_path, capsys):
    path = tmp_path / "run.json"
    path.write_text('{"ratios": {"service_over_raw_workers_1": 0.9}}')
    floors = tmp_path / "floors.json"
    floors.write_text('{"tolerance": 0.2, "floors": {"service_over_raw_workers_1": 0.5}}')
    assert check.main(str(path), str(floors)) == 0
    path.write_text('{"ratios": {"service_over_raw_workers_1": 0.1}}')
    assert check.main(str(path), str(floors)) == 1
    assert "FAIL service_over_raw_workers_1" in capsys.readouterr().out


def test_arguments():
    args = parse_args([])
    assert "d1" in args.only and "g" not in args.only and "h" not in args.only
    assert args.check is None
    assert parse_args(["--check"]).check == "-"
    assert parse_args(["--check", "x.json"]).check == "x.json"
    assert parse_args(["--only", "a,d1,g,yr,h"]).only == ["a", "d1", "g", "h", "yr"]


def test_ratios():
    def level(rate):
        return {"by_workers": {"4": {"transfers_per_second": rate}}}

    scenarios = {
        "a_single_transfer": level(500.0), "d_raw_sql": level(600.0), "d1_raw_sql_one_round_trip": level(1000.0),
        "g_pure_sql_ledger": level(2000.0), "y_payments": {"by_workers": {"4": {"payments_per_second": 100.0}}},
        "yr_payment_refusals": {"by_workers": {"4": {"payments_per_second": 50.0, "queries_per_refused": 3,
                                                     "queries_per_accepted": 6}}},
        "h_http_payments": {"payments_per_second": 60.0},
        "u_cpu_per_operation": {"cpu_bound_ceiling": 0.23},
    }
    ratios = compute_ratios(scenarios, [4], 4)
    assert ratios["service_over_raw_workers_4"] == 0.833
    assert ratios["a_over_d1_workers_4"] == 0.5
    assert ratios["d_over_d1_workers_4"] == 0.6
    assert ratios["a_over_g_workers_4"] == 0.25
    assert ratios["d1_over_g_workers_4"] == 0.5
    assert ratios["payment_over_service_workers_4"] == 0.2
    assert ratios["yr_accepted_over_y_workers_4"] == 0.5
    assert ratios["yr_queries_accepted_over_refused_workers_4"] == 2.0
    assert ratios["h_over_y_workers_4"] == 0.6
    assert ratios["transfer_cpu_over_payment_cpu"] == 0.23
    assert "service_over_raw_workers_1" not in ratios  # nothing measured at 1 worker


def test_d1_function_follows_the_engines_statements():
    create, types = d1_function_sql()
    assert len(types.split(",")) == 29
    assert max(int(n) for n in re.findall(r"\$(\d+)", create.split("$d1$")[1])) == 29
    write_body = STATEMENTS["ledger_write_one"][1].strip()
    assert write_body in create  # the engine's write statement, verbatim
    assert "pg_advisory_xact_lock_shared($26)" in create and "unnest($27)" in create
    assert "WHERE id = k.id) AS a" in create and "unnest($29)" in create


def test_cpu_per_operation():
    blocks = [{"wall": 0.5, "client": 0.2, "server_user": 0.15, "server_system": 0.05},
              {"wall": 0.3, "client": 0.1, "server_user": 0.1, "server_system": 0.0}]
    out = _per_operation(blocks, 400)  # 0.8 s of wall time over 400 operations: 2 ms each
    assert out == {"operations": 400, "wall_ms": 2.0, "client_cpu_ms": 0.75, "server_user_ms": 0.625,
                   "server_system_ms": 0.125, "server_cpu_ms": 0.75, "cpu_ms": 1.5, "waiting_ms": 0.5}
    # the server's CPU unknown (another machine): no total, no waiting time
    out = _per_operation([{"wall": 0.4, "client": 0.2}], 100)
    assert out["server_user_ms"] is None and "server_cpu_ms" not in out and "cpu_ms" not in out
    assert out["client_cpu_ms"] == 2.0
