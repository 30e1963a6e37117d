#!/usr/bin/env bash
# Debian's podman and what `nox -s pods` needs with it, installed when missing (as root).
# Its settings come from tests/pods/containers.conf; nothing in /etc is changed.
set -euo pipefail

packages=(podman runc netavark aardvark-dns iptables conmon catatonit uidmap debootstrap)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "pods needs ${missing[*]}: run sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "pods: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
