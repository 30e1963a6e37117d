"""The `orchestrator` CLI (= `python -m generator` = ./orchestrator.sh)."""

from generator.cli.app import cli, main

__all__ = ["cli", "main"]
