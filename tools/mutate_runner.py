"""The test command ``tools.mutate`` gives mutmut: pytest, with every failure reported as exit status 1.

mutmut 2 counts a mutant as killed only when the test command exits with status 1 (pytest's
"tests failed"). A mutant that breaks the import of its module makes pytest stop at collection
with status 2, which mutmut would count as a survivor; here every non-zero status is 1.
"""

from __future__ import annotations

import sys

import pytest


def main(argv: list[str]) -> int:
    return 0 if pytest.main(argv) == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
