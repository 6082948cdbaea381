"""``python -m nlu ...`` runs the same commands as ``safemig nlu ...``."""

import sys

from nlu.cli import main

raise SystemExit(main(["nlu", *sys.argv[1:]]))
