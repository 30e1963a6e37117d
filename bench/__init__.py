"""The benchmark suite: `nox -s bench` (or `python -m bench`) measures the running services
and this machine's ceilings in one run and writes bench/results/latest.{md,json}."""
