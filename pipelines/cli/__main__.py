"""`python -m pipelines.cli`: the `brw` command."""

import sys

from pipelines.cli import main

sys.exit(main())
