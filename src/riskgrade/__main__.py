"""``python -m riskgrade``: the command line."""

import sys

from riskgrade.cli import main

if __name__ == "__main__":
    sys.exit(main())
