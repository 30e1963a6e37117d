"""The operator's CLI (`orchestrator`, `python -m orchestrator`, `./orchestrator.sh`).

Kept import-free so that `orchestrator.local.net`, which the test harness uses, does not pull
in Click and the cluster tooling.
"""
