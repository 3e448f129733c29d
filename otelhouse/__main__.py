"""`python -m otelhouse` runs the command line."""

from otelhouse.cli import main

main()
