#!/usr/bin/env bash
# Provisions one K3s node of the Vagrant cluster. Idempotent: K3s is (re)installed
# only when the pinned version or the node's configuration changed, so a second
# `vagrant provision` changes nothing.
#
#   k3s-node.sh server|agent
#
# Environment (set by the Vagrantfile):
#   K3S_VERSION        pinned K3s release, e.g. v1.33.3+k3s1
#   K3S_TOKEN          the cluster's join token
#   NODE_IP            this node's address on the host-only network
#   SERVER_IP          the K3s server's address
#   KUBECONFIG_EXPORT  (server only, optional) where to copy the kubeconfig
#   KUBECONFIG_NAMESPACE (optional) the exported kubeconfig's context namespace
#   K3S_CONFIG_DIR     (optional) defaults to /etc/rancher/k3s
set -euo pipefail

role="${1:?usage: k3s-node.sh server|agent}"
: "${K3S_VERSION:?K3S_VERSION is not set}"
: "${K3S_TOKEN:?K3S_TOKEN is not set}"
: "${NODE_IP:?NODE_IP is not set}"
: "${SERVER_IP:?SERVER_IP is not set}"
config_dir="${K3S_CONFIG_DIR:-/etc/rancher/k3s}"

# The interface carrying NODE_IP: flannel must use it, not VirtualBox's NAT one.
node_iface() {
  ip -o -4 addr show | awk -v ip="$NODE_IP" '{ split($4, a, "/"); if (a[1] == ip) print $2 }'
}

# K3s reads this file as if each key were its flag: node-ip and flannel-iface are
# --node-ip and --flannel-iface, pinned to the host-only network.
render_config() {
  local iface="$1"
  printf 'node-ip: %s\nflannel-iface: %s\ntoken: %s\n' "$NODE_IP" "$iface" "$K3S_TOKEN"
  case "$role" in
    server)
      printf 'advertise-address: %s\ntls-san:\n  - %s\nwrite-kubeconfig-mode: "0600"\n' \
        "$NODE_IP" "$NODE_IP"
      # The chart exposes the gateway on a NodePort and needs no ingress controller or
      # service load balancer: Traefik and servicelb would only take memory on the master.
      printf 'disable:\n  - traefik\n  - servicelb\n'
      ;;
    agent)
      printf 'server: https://%s:6443\n' "$SERVER_IP"
      ;;
    *)
      echo "unknown role '$role' (expected server or agent)" >&2
      exit 2
      ;;
  esac
}

# Writes stdin to $1 only when it differs; returns 0 when the file changed.
write_if_changed() {
  local target="$1" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    return 1
  fi
  install -m 0600 "$tmp" "$target"
  rm -f "$tmp"
  return 0
}

installed_version() {
  if command -v k3s >/dev/null 2>&1; then
    k3s --version | awk 'NR == 1 { print $3 }'
  fi
}

# The install script of the same release as the binary, not get.k3s.io's latest one
# ("+" is %2B in the tag's URL).
installer_url() {
  printf 'https://raw.githubusercontent.com/k3s-io/k3s/%s/install.sh' "${K3S_VERSION//+/%2B}"
}

install_k3s() {
  echo "installing K3s ${K3S_VERSION} (${role}) on ${NODE_IP}"
  curl -sfL "$(installer_url)" |
    INSTALL_K3S_VERSION="$K3S_VERSION" INSTALL_K3S_EXEC="$role" sh -s -
}

export_kubeconfig() {
  local source="${config_dir}/k3s.yaml" waited=0
  [ -n "${KUBECONFIG_EXPORT:-}" ] || return 0
  until [ -s "$source" ]; do
    if [ "$waited" -ge 120 ]; then
      echo "K3s wrote no ${source} within 120s" >&2
      exit 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
  # The file names 127.0.0.1; from the host the server is at NODE_IP. With a namespace
  # in its context, kubectl without -n shows the system.
  if sed -e "s#https://127.0.0.1:6443#https://${NODE_IP}:6443#" \
    -e "s#^\(    cluster: default\)\$#\1\n    namespace: ${KUBECONFIG_NAMESPACE:-default}#" \
    "$source" | write_if_changed "$KUBECONFIG_EXPORT"; then
    echo "kubeconfig exported to ${KUBECONFIG_EXPORT}"
  fi
}

main() {
  local iface changed=no
  iface="$(node_iface)"
  if [ -z "$iface" ]; then
    echo "no network interface carries ${NODE_IP}" >&2
    exit 1
  fi
  mkdir -p "$config_dir"
  if render_config "$iface" | write_if_changed "${config_dir}/config.yaml"; then
    changed=yes
  fi
  if [ "$changed" = yes ] || [ "$(installed_version)" != "$K3S_VERSION" ]; then
    install_k3s
  else
    echo "K3s ${K3S_VERSION} already installed and configured; nothing to do"
  fi
  if [ "$role" = server ]; then
    export_kubeconfig
  fi
}

main
