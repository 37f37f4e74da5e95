"""Reading list files: the OpenSanctions ``targets.simple.csv`` layout and FollowTheMoney JSON
lines (``docs/compliance-screening.md`` describes both). ``parse`` returns the good entries and
the bad rows (line number and reason); a file that cannot be read at all (not UTF-8, no header,
missing columns, no good row) is ``WatchListFileInvalid``."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import exceptions as exc
from .matching import normalise

CSV_COLUMNS = ("id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers",
               "sanctions", "phones", "emails", "dataset", "first_seen", "last_seen", "last_change")
REQUIRED_CSV_COLUMNS = ("id", "schema", "name")
# FollowTheMoney schemata that are screened; the others in an export (Sanction, Address, ...) are skipped.
TARGET_SCHEMATA = {"Person", "Organization", "Company", "LegalEntity", "PublicBody", "Vessel", "Airplane"}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_COUNTRY = re.compile(r"^[a-z]{2}(-[a-z0-9]{1,8})?$|^[a-z]{4}$")  # "ru", "xk", "suhh", "gb-sct"
MAX_FIELD = 500
FORMATS = ("opensanctions-csv", "ftm-json")


@dataclass
class Parsed:
    entries: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


class BadRow(ValueError):
    pass


def _multi(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def _entry(*, external_id: str, schema: str, name: str, aliases: list[str], birth_dates: list[str],
           countries: list[str], programs: list[str], raw: dict) -> dict[str, Any]:
    external_id, schema, name = (external_id or "").strip(), (schema or "").strip(), (name or "").strip()
    if not external_id:
        raise BadRow("no id")
    if len(external_id) > 200:
        raise BadRow("id longer than 200 characters")
    if not schema:
        raise BadRow("no schema")
    if not name:
        raise BadRow("no name")
    for date in birth_dates:
        if not _DATE.match(date):
            raise BadRow(f"birth date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    countries = [c.lower() for c in countries]
    for country in countries:
        if not _COUNTRY.match(country):
            raise BadRow(f"country {country!r} is not a country code")
    aliases = [a for a in dict.fromkeys(aliases) if a != name]
    names = [n for n in dict.fromkeys(normalise(x) for x in [name, *aliases]) if n]
    if not names:
        raise BadRow(f"no usable name in {name!r}")
    return {"external_id": external_id, "schema": schema[:40], "name": name[:MAX_FIELD],
            "aliases": [a[:MAX_FIELD] for a in aliases], "names": names,
            "birth_dates": list(dict.fromkeys(birth_dates)),
            "countries": list(dict.fromkeys(countries)), "programs": list(dict.fromkeys(programs)), "raw": raw}


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise exc.WatchListFileInvalid(f"the file is not UTF-8 (byte {error.start})") from error


def _parse_csv(text: str, out: Parsed) -> None:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    if missing:
        raise exc.WatchListFileInvalid(f"the header lacks the column(s) {', '.join(missing)}; expected "
                                       f"{','.join(CSV_COLUMNS)}", missing_columns=missing)
    for row in reader:
        if None in row:
            out.rejected.append({"line": reader.line_num, "reason": "more fields than the header"})
            continue
        try:
            out.entries.append(_entry(
                external_id=row.get("id"), schema=row.get("schema"), name=row.get("name"),
                aliases=_multi(row.get("aliases")), birth_dates=_multi(row.get("birth_date")),
                countries=_multi(row.get("countries")), programs=_multi(row.get("sanctions")),
                raw={k: v for k, v in row.items() if v}))
            out.entries[-1]["line"] = reader.line_num
        except BadRow as error:
            out.rejected.append({"line": reader.line_num, "reason": str(error)})


def _parse_ftm(text: str, out: Parsed) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            out.rejected.append({"line": number, "reason": f"not JSON: {error.msg}"})
            continue
        if not isinstance(data, dict) or not isinstance(data.get("properties", {}), dict):
            out.rejected.append({"line": number, "reason": "not an entity object with properties"})
            continue
        schema = str(data.get("schema") or "")
        if schema and schema not in TARGET_SCHEMATA:
            out.skipped += 1
            continue
        props = data.get("properties") or {}

        def values(*keys: str, props: dict = props) -> list[str]:
            found: list[str] = []
            for key in keys:
                value = props.get(key) or []
                found += [str(v).strip() for v in (value if isinstance(value, list) else [value]) if str(v).strip()]
            return found

        names = values("name")
        try:
            out.entries.append(_entry(
                external_id=str(data.get("id") or ""), schema=schema, name=names[0] if names else "",
                aliases=names[1:] + values("alias", "weakAlias", "previousName"),
                birth_dates=[d[:10] for d in values("birthDate")], countries=values("country", "nationality",
                                                                                      "citizenship", "jurisdiction"),
                programs=values("topics", "program"), raw=data))
            out.entries[-1]["line"] = number
        except BadRow as error:
            out.rejected.append({"line": number, "reason": str(error)})


def parse(content: bytes, fmt: str) -> Parsed:
    if fmt not in FORMATS:
        raise exc.WatchListFileInvalid(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    text = _decode(content)
    out = Parsed()
    (_parse_csv if fmt == "opensanctions-csv" else _parse_ftm)(text, out)
    seen: dict[str, int] = {}
    unique = []
    for entry in out.entries:
        line = entry.pop("line")
        first = seen.setdefault(entry["external_id"], line)
        if first != line:
            out.rejected.append({"line": line,
                                 "reason": f"duplicate id {entry['external_id']!r} (first on line {first})"})
        else:
            unique.append(entry)
    out.entries = unique
    out.rejected.sort(key=lambda r: r["line"])
    if not out.entries:
        raise exc.WatchListFileInvalid("the file has no loadable entry", rejected=out.rejected[:100])
    return out
