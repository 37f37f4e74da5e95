"""Statement importers: ``parse(data: bytes, *, external_account) -> list[ParsedStatement]``."""

from .base import ImportRefused, LineError, ParsedLine, ParsedStatement


def parser_for(fmt: str):
    from . import camt053, csv, mt940

    try:
        return {"camt053": camt053.parse, "mt940": mt940.parse, "csv": csv.parse}[fmt]
    except KeyError:
        raise ImportRefused(f"unknown statement format {fmt!r}", "unknown_format") from None


def sniff(data: bytes) -> str:
    """Guess the format from the first bytes (camt: XML; MT940: a ``:20:`` tag; else CSV)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<"):
        return "camt053"
    if b":20:" in head and b":25:" in data[:16384]:
        return "mt940"
    return "csv"


__all__ = ["ImportRefused", "LineError", "ParsedLine", "ParsedStatement", "parser_for", "sniff"]
