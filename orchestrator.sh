#!/usr/bin/env bash
# The `orchestrator` CLI without installing anything by hand: creates ./.venv with
# the orchestrator extra on first use, then runs `python -m orchestrator "$@"`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${root}/.venv"
python="${venv}/bin/python"

# Usable when it imports both the CLI's own dependencies and the project itself.
ready() {
  [ -x "$python" ] && "$python" -c 'import click, rich, pyhelm3, vagrant, docker, supervisor, orchestrator.app' \
    >/dev/null 2>&1
}

if ! ready; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 is missing: install Python 3.11+ (e.g. apt-get install python3 python3-venv)" >&2
    exit 1
  fi
  echo "orchestrator: preparing ${venv} (first run only)" >&2
  if [ ! -x "$python" ]; then
    python3 -m venv "$venv" || {
      echo "could not create ${venv}: install python3-venv (e.g. apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  "$python" -m pip install --quiet --disable-pip-version-check -e "${root}[orchestrator]" || {
    echo "pip could not install the orchestrator extra into ${venv}: check network access to PyPI" >&2
    exit 1
  }
fi

cd "$root"
exec "$python" -m orchestrator "$@"
