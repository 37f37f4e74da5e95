"""Demo data loaders used by the seed_demo tests (settings.DEMO_DATA_LOADERS)."""

calls: list[str] = []


def first(*, stdout) -> None:
    calls.append("first")
    stdout.write("first loader ran")


def second(*, stdout) -> None:
    calls.append("second")
    stdout.write("second loader ran")
