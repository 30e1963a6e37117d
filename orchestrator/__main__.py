"""`python -m orchestrator`: the operator's CLI."""

import sys

try:
    from orchestrator.app import main
except ImportError as exc:  # run outside the venv that ./orchestrator.sh prepares
    sys.exit(
        f"orchestrator cannot start ({exc}): run ./orchestrator.sh instead (it prepares .venv), "
        "or `pip install -e '.[orchestrator]'` first"
    )

main()
