"""The two VMs hold what the chart's pods request at their HPA maximum, plus K3s itself.

The figures for K3s are allowances, not measurements made here (no VM runs here): the
requests of the system pods K3s ships (CoreDNS and metrics-server manifests) and a
margin for the server and agent processes and the guest OS. Traefik and servicelb are
disabled by the provisioner, so they are not counted.
"""

from __future__ import annotations

import re

from tests.generator.chart_support import WORKLOADS, by_kind, pod_spec, rendered
from tests.support.tools import REPO

VAGRANTFILE = (REPO / "Vagrantfile").read_text()
MI = 2**20
# K3s's own pods and their requests (memory MiB, CPU millicores), from its manifests.
SYSTEM_PODS = {"coredns": (70, 100), "metrics-server": (70, 100)}
# Resident memory outside any pod: the K3s server (API server, controllers, kine/sqlite,
# kubelet, containerd), the agent (kubelet, containerd), the guest OS, and the kubelet's
# default hard eviction threshold (100Mi) on each node.
SERVER_MIB, AGENT_MIB, OS_MIB, EVICTION_MIB = 700, 250, 300, 100
SERVER_CPU_M = 500


def default(name: str) -> int:
    found = re.search(rf'{name} = Integer\(ENV\.fetch\("\w+", "(\d+)"\)\)', VAGRANTFILE)
    assert found, name
    return int(found.group(1))


def memory(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)?", quantity).groups()  # type: ignore[union-attr]
    return int(number) * {"Gi": 1024, "Mi": 1, None: 1 / MI}[unit]


def cpu(quantity: str) -> float:
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


def most_replicas(docs) -> dict[str, int]:
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
            for h in by_kind(docs, "HorizontalPodAutoscaler")}  # fmt: skip
    return {
        w["metadata"]["name"]: hpas.get(w["metadata"]["name"], w["spec"].get("replicas", 1))
        for w in by_kind(docs, *WORKLOADS)
    }


def requests_at_most(docs) -> tuple[float, float]:
    """Memory (MiB) and CPU (m) the chart's pods request with every HPA at its maximum."""
    replicas = most_replicas(docs)
    mem = cpus = 0.0
    for workload in by_kind(docs, *WORKLOADS):
        for container in pod_spec(workload)["containers"]:
            wanted = container["resources"]["requests"]
            mem += replicas[workload["metadata"]["name"]] * memory(wanted["memory"])
            cpus += replicas[workload["metadata"]["name"]] * cpu(wanted["cpu"])
    return mem, cpus


def test_both_vms_hold_every_pod_at_its_hpa_maximum_and_k3s():
    docs = rendered("vagrant")
    pods_mib, pods_cpu = requests_at_most(docs)
    vm_mib, vm_cpus = default("MEMORY"), default("CPUS")
    system_mib = sum(m for m, _ in SYSTEM_PODS.values())
    system_cpu = sum(c for _, c in SYSTEM_PODS.values())
    room = 2 * (vm_mib - OS_MIB - EVICTION_MIB) - SERVER_MIB - AGENT_MIB
    print(f"pods request {pods_mib:.0f}Mi + K3s pods {system_mib}Mi; room {room}Mi")
    assert pods_mib + system_mib <= room
    assert pods_cpu + system_cpu <= 2 * vm_cpus * 1000 - SERVER_CPU_M
    # The largest pod fits on the agent alone, which runs no server.
    containers = [c for w in by_kind(docs, *WORKLOADS) for c in pod_spec(w)["containers"]]
    largest = max(memory(c["resources"]["requests"]["memory"]) for c in containers)
    assert largest <= vm_mib - OS_MIB - EVICTION_MIB - AGENT_MIB


def test_the_count_is_of_every_replica_the_hpas_may_make():
    """The sum above can fail: three gateways request three times one gateway's memory."""
    docs = rendered("vagrant")
    assert most_replicas(docs)["api-gateway"] == 3
    assert most_replicas(docs)["billing-db"] == 1
    one_each = sum(
        memory(c["resources"]["requests"]["memory"])
        for w in by_kind(docs, *WORKLOADS)
        for c in pod_spec(w)["containers"]
    )
    assert requests_at_most(docs)[0] > one_each
