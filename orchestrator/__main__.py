"""`python -m orchestrator`: the operator's CLI."""

from orchestrator.app import main

main()
