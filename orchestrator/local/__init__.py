"""The three services as processes on this machine: one launcher for `orchestrator local`,
the tests, `bench/` and `faults/`."""
