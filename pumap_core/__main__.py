"""``python -m pumap_core``: the command line (see :mod:`pumap_core.cli`)."""

import sys

from pumap_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
