"""`python -m generator` runs the orchestrator CLI."""

from generator.cli import main

main()
