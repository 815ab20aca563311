"""`python -m service.cli`: the command line."""

from service.cli import main

main()
