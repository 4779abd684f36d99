"""``python -m numtorch ...`` runs the command line interface (see ``numtorch.cli``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
