"""``python -m ari_notebook``: the same command line as ``ari-notebook``."""

import sys

from .cli import main

sys.exit(main())
