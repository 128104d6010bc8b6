"""`python -m backcoder` runs the same command as the `backcoder` script."""

from backcoder.cli import main

main()
