"""``python -m bench --check [results.json]``: the regression guard.

Compares the ratios of a run (``doc["ratios"]``: two scenarios of the same run, so the machine's
speed and background load mostly cancel) against the committed floors in ``bench/floors.json``.
A ratio more than ``tolerance`` (20 %) below its floor fails the check; a ratio the run did not
measure (its scenario or worker count was not selected) is listed as skipped, never failed.
Absolute times are never checked: they depend on the machine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FLOORS = Path(__file__).resolve().parent / "floors.json"
DEFAULT_TOLERANCE = 0.2


def load_floors(path: str | Path | None = None) -> dict:
    return json.loads(Path(path or FLOORS).read_text())


def check(doc: dict, floors_doc: dict) -> dict:
    """{"ok", "tolerance", "failed": [...], "passed": [...], "skipped": [...]}; each entry of failed and
    passed has the ratio, its floor, the limit (floor x (1 - tolerance)) and the measured value."""
    tolerance = float(floors_doc.get("tolerance", DEFAULT_TOLERANCE))
    ratios = doc.get("ratios") or {}
    out: dict = {"tolerance": tolerance, "failed": [], "passed": [], "skipped": []}
    for name, floor in sorted(floors_doc["floors"].items()):
        value = ratios.get(name)
        if value is None:
            out["skipped"].append(name)
            continue
        limit = round(floor * (1 - tolerance), 4)
        entry = {"ratio": name, "value": value, "floor": floor, "limit": limit}
        (out["passed"] if value >= limit else out["failed"]).append(entry)
    out["ok"] = not out["failed"]
    return out


def report(result: dict) -> str:
    lines = []
    for entry in result["failed"]:
        lines.append(f"FAIL {entry['ratio']} = {entry['value']} < {entry['limit']} "
                     f"(floor {entry['floor']} - {result['tolerance']:.0%})")
    for entry in result["passed"]:
        lines.append(f"ok   {entry['ratio']} = {entry['value']} (floor {entry['floor']}, limit {entry['limit']})")
    if result["skipped"]:
        lines.append(f"skipped (not measured in this run): {', '.join(result['skipped'])}")
    lines.append(f"check: {'ok' if result['ok'] else 'FAILED'} ({len(result['passed'])} passed, "
                 f"{len(result['failed'])} failed, {len(result['skipped'])} skipped)")
    return "\n".join(lines)


def main(results_path: str, floors_path: str | None = None) -> int:
    """Check a results JSON already written (no run): the report on stdout, exit 1 on a failure."""
    doc = json.loads(Path(results_path).read_text())
    result = check(doc, load_floors(floors_path))
    sys.stdout.write(report(result) + "\n")
    if not result["passed"] and not result["failed"]:
        sys.stdout.write("check: no ratio of the floors was measured in this run\n")
    return 0 if result["ok"] else 1
