"""The operator's CLI (`orchestrator`, `python -m orchestrator`, `./orchestrator.sh`).

Kept import-free so that `orchestrator.local`, which the tests, `bench/` and `faults/` use to
launch the services, does not pull in Click and the cluster tooling.
"""
