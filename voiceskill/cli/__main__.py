"""`python -m voiceskill.cli ...` runs the command."""

from . import main

main()
