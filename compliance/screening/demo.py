"""Demo data: the sample sanctions list (``data/sample_sanctions.csv``) as the list ``SAMPLE``."""

from __future__ import annotations

from pathlib import Path

from . import services
from .models import ListVersion, WatchList

SAMPLE = Path(__file__).resolve().parent / "data" / "sample_sanctions.csv"


def load_sample(code: str = "SAMPLE", *, rescreen: bool = False) -> ListVersion:
    services.watchlist_ensure(code=code, name="Sample sanctions list (public, well-known entries)",
                              kind=WatchList.Kind.SANCTIONS, source="compliance/screening/data/sample_sanctions.csv")
    content = SAMPLE.read_bytes()
    existing = ListVersion.objects.filter(list__code=code, is_active=True).first()
    if existing is not None:
        return existing
    return services.version_load(list_code=code, content=content, file_name=SAMPLE.name, rescreen=rescreen).version


def load_demo(stdout=None) -> None:
    version = load_sample()
    if stdout is not None:
        stdout.write(f"  sanctions list SAMPLE: {version.entry_count} entries\n")
