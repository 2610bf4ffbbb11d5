"""`python -m calfeed.cli`: the same command line as `calfeed`."""

from . import main

main()
