"""The steps of `nox -s pods` once the images exist: readiness as the kubelet waits for it,
every declared probe, the checks from inside each container, the audit through the
NodePort, and the data still there after every pod was removed and played again."""

from __future__ import annotations

import base64
import time

from tests.pods import audit, checks
from tests.pods.cluster import Cluster
from tests.pods.metrics import check_metrics
from tests.pods.probes import Outcome, probes_of, run
from tests.pods.report import Report

# Long enough for billing to have taken an order it could take.
SETTLE_SECONDS = 3.0
# A restarted pod can wait that long for podman's DNS to resolve its neighbours (seen: name
# lookups failing for ~40 s after a pod started, on a machine that had just run the faults);
# billing retries its database meanwhile, so the order arrives late rather than never.
STORED_WITHIN = 90.0
MOVIE = {"title": "Pods on podman", "description": "played from the rendered chart"}


def readiness(report: Report, outcomes: list[Outcome], when: str) -> bool:
    ok = True
    for outcome in outcomes:
        ok &= report.step(
            f"ready {when}: {outcome.probe.label}",
            outcome.ok,
            f"{outcome.answer} after {outcome.after:.0f}s",
        )
    return ok


def probes_and_checks(report: Report, cluster: Cluster) -> None:
    for probe in probes_of(cluster.plan.workloads, ("livenessProbe",)):
        ok, answer = run(cluster.podman, probe)
        report.step(f"probe {probe.label}", ok, answer)
    for workload in cluster.plan.workloads:
        for check in checks.check_workload(cluster.podman, cluster.plan, workload):
            report.step(f"check {check.name}", check.ok, check.detail)
    ready = audit.call("GET", "/readyz")
    report.step("gateway /readyz on 127.0.0.1:30000", ready.status == 200, str(ready.body))
    for check in check_metrics(cluster.podman, cluster.plan):
        report.step(f"metrics {check.name}", check.ok, check.detail)


def billing_db(cluster: Cluster) -> audit.BillingDb:
    secret = next(s for s in cluster.plan.secrets if s["metadata"]["name"] == "db-secrets")
    user = base64.b64decode(secret["data"]["BILLING_DB_USER"]).decode()
    config = cluster.plan.config_maps[0]["data"]
    return audit.BillingDb(cluster.podman, user, config["BILLING_DB_NAME"])


def audit_steps(report: Report, cluster: Cluster) -> int | None:
    """The audit's sequence; returns the created movie's id."""
    created = audit.call("POST", "/api/movies", MOVIE)
    movie_id = created.body.get("id") if isinstance(created.body, dict) else None
    report.step("create a movie", created.status == 200 and movie_id is not None, str(created.body))
    listed = audit.call("GET", "/api/movies")
    ids = [m["id"] for m in listed.body] if isinstance(listed.body, list) else []
    report.step("list movies", listed.status == 200 and movie_id in ids, f"{len(ids)} movie(s)")

    db = billing_db(cluster)
    first = audit.order(20)
    report.step("order user 20", first.status == 200, str(first.body))
    report.step("user 20 stored", db.wait_for_user(20, STORED_WITHIN), "in billing's orders")

    cluster.stop("billing-app")
    state = cluster.pod_state("billing-app")
    report.step("stop billing", state in {"Exited", "Stopped"}, f"podman pod stop: {state}")
    second = audit.order(22)
    report.step("order user 22 while billing is stopped", second.status == 200, str(second.body))
    time.sleep(SETTLE_SECONDS)
    databases = db.databases()
    report.step("psql lists the billing database", db.name in databases, ", ".join(databases))
    users = db.users_ordered()
    report.step(
        "TABLE orders; shows 20 and not 22", 20 in users and 22 not in users, f"user_id {users}"
    )

    readiness(report, cluster.wait_ready(cluster.start("billing-app"), ("billing-app",)), "again")
    report.step("start billing: user 22 appears", db.wait_for_user(22, STORED_WITHIN),
                f"user_id {db.users_ordered()}")  # fmt: skip
    return movie_id


def after_restart(report: Report, cluster: Cluster, movie_id: int | None) -> None:
    """Every pod removed and played again from the same manifest: only the volumes remain."""
    cluster.down()
    left = [w.name for w in cluster.plan.workloads if cluster.pod_state(w.name) != "absent"]
    report.step("stop everything", not left, f"podman kube down; pods left: {left or 'none'}")
    readiness(report, cluster.wait_ready(cluster.play()), "after the restart")
    listed = audit.call("GET", "/api/movies")
    ids = [m["id"] for m in listed.body] if isinstance(listed.body, list) else []
    report.step("the movie is still there", movie_id in ids, f"ids {ids}")
    users = billing_db(cluster).users_ordered()
    report.step("orders 20 and 22 are still there", {20, 22} <= set(users), f"user_id {users}")


def run_all(report: Report, cluster: Cluster) -> None:
    if not readiness(report, cluster.wait_ready(cluster.play()), "at start"):
        report.note(cluster.logs())
        return
    probes_and_checks(report, cluster)
    movie_id = audit_steps(report, cluster)
    after_restart(report, cluster, movie_id)
    if report.failed:
        report.note(cluster.logs())
