"""`python -m idcensus_emulator.cli ARGS`: the real `idcensus` command against the emulator.

It answers what moto lacks from the `Recorded` file named by IDCENSUS_EMULATOR_STATE, written by
the process that seeded the emulator, so a child process answers exactly as its parent did.
"""

from __future__ import annotations

import os
import sys

from idcensus import cli
from idcensus_emulator.gaps import Recorded

STATE_VARIABLE = "IDCENSUS_EMULATOR_STATE"


def main(argv: list[str] | None = None) -> int:
    path = os.environ.get(STATE_VARIABLE)
    recorded = Recorded.load(path) if path else Recorded()
    return cli.main(argv, hooks=recorded.hooks())


if __name__ == "__main__":
    sys.exit(main())
