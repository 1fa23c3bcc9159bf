"""`python -m idcensus ARGS`: the `idcensus` command."""

import sys

from idcensus.cli import main

sys.exit(main())
