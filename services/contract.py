"""The names every part of the system agrees on, in one place.

The services take their defaults from here, the chart generator names its objects from here,
the operator's CLI finds the cluster and the workloads from here, and the tests check all of
them against it. Changing a value here changes it everywhere; the Vagrantfile (Ruby) is the one
reader that cannot import it, and a test compares it with these values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Component:
    """One deployable part: its Kubernetes object name (Deployment or StatefulSet, and its
    Service), the port its Service answers on, and its short name for people."""

    name: str
    port: int
    short: str


GATEWAY = Component("api-gateway", 3000, "gateway")
INVENTORY = Component("inventory-app", 8080, "inventory")
BILLING = Component("billing-app", 8080, "billing")
INVENTORY_DB = Component("inventory-db", 5432, "inventory-db")
BILLING_DB = Component("billing-db", 5432, "billing-db")
RABBITMQ = Component("rabbitmq", 5672, "rabbitmq")

APPS = (GATEWAY, INVENTORY, BILLING)


def image_repository(app: Component) -> str:
    """The repository of an app's image, after the registry: the chart's default and what
    `orchestrator build` names the image it builds."""
    return f"movies/{app.name}"


COMPONENTS = (*APPS, INVENTORY_DB, BILLING_DB, RABBITMQ)

GATEWAY_NODE_PORT = 30000
# Every app serves /metrics here, on a listener of its own, never on its public port.
METRICS_PORT = 9100
RABBITMQ_MANAGEMENT_PORT = 15672
# Every service serves /metrics here, on a listener of its own.
METRICS_PORT = 9100

INVENTORY_DATABASE = "inventory"
BILLING_DATABASE = "billing"
BILLING_QUEUE = "billing_queue"

CONFIG_MAP = "app-config"
# Names of Secrets, not secrets.
DB_SECRET = "db-secrets"  # noqa: S105
RABBITMQ_SECRET = "rabbitmq-secrets"  # noqa: S105

NAMESPACE = "microservices"
RELEASE = "movies"


@dataclass(frozen=True)
class Node:
    """One Vagrant VM, which is also the K3s node of the same name."""

    name: str
    ip: str
    role: str


MASTER = Node("k3s-master", "192.168.56.10", "server")
AGENT = Node("k3s-agent", "192.168.56.11", "agent")
NODES = (MASTER, AGENT)
# A NodePort answers on every node; the server's address is the one the docs and NOTES give.
GATEWAY_URL = f"http://{MASTER.ip}:{GATEWAY_NODE_PORT}"

# `orchestrator local` runs all three on one machine, so billing moves off inventory's port.
LOCAL_PORTS = {GATEWAY.short: 3000, INVENTORY.short: 8080, BILLING.short: 8081}
# Each service's METRICS_PORT under `orchestrator local`: one each, beside none of the above.
LOCAL_METRICS_PORTS = {GATEWAY.short: 9101, INVENTORY.short: 9102, BILLING.short: 9103}
