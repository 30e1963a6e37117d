"""The chart's versions, newest first: the source of Chart.yaml's version and of
charts/movies/CHANGELOG.md, so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Release:
    version: str
    changes: tuple[str, ...]


RELEASES = (
    Release(
        "0.2.0",
        (
            "Removed `gateway.httpServer`, `inventory.httpServer` and `billing.httpServer` "
            "(and the `*_HTTP_SERVER` keys of `app-config`): waitress is the services' one "
            "HTTP server. Delete these keys from your values files; the schema rejects them.",
            "The gateway's readiness probe is `/readyz`, like every app's: ready means the "
            "pod can do its own work, and the gateway's does not depend on the broker or on "
            "inventory.",
            "Three modes per backend: `inventoryDb.mode`, `billingDb.mode` and "
            "`rabbitmq.mode` are `bundled` (the default, as before), `operator` (a "
            "CloudNativePG `Cluster` per database, a `RabbitmqCluster` for the broker, three "
            "replicas spread over nodes) or `external` (`<backend>.external.*`: host, port "
            "and an existing Secret). `values/prod.yaml` uses operator mode for all three. "
            "The NetworkPolicies follow each mode; `db-secrets` and `rabbitmq-secrets` hold "
            "only the bundled backends' credentials.",
            "`gateway.auth`: with `enabled`, writes need a bearer token: `API_TOKENS` from "
            "the new Secret `gateway-secrets` (one token generated at install, kept on "
            "upgrade) or from `existingSecret`/`existingSecretKey`; on in prod.",
            "Metrics port: every app's container has a `metrics` port (`metrics.port`, "
            "9100, env `METRICS_PORT`) behind a ClusterIP Service `<app>-metrics`; the "
            "ServiceMonitor scrapes those, and the NetworkPolicy opens the port to the "
            "monitoring namespace only. The public port no longer serves /metrics.",
            "The Ingress moved from `ingress.*` to `gateway.ingress.*`: `tls.secretName` "
            "(was `tlsSecret`), `tls.clusterIssuer` (cert-manager), `tls.sslRedirect` "
            "(HTTP to HTTPS) and `annotations`. prod uses it with TLS.",
            "`billing_queue` is a quorum queue (the services declare it). An installation "
            "whose broker still holds the classic queue must let billing drain it, then "
            "delete it (`rabbitmqctl delete_queue billing_queue`) before the new apps start.",
        ),
    ),
    Release(
        "0.1.0",
        (
            "First chart: api-gateway, inventory-app and billing-app with PostgreSQL "
            "StatefulSets and a RabbitMQ Deployment, HPAs, NetworkPolicies, optional "
            "Ingress, PodDisruptionBudgets, ServiceMonitor and Grafana dashboard.",
        ),
    ),
)
CHART_VERSION = RELEASES[0].version


def changelog() -> str:
    """CHANGELOG.md: one section per version, newest first."""
    parts = ["# Changelog of the movies chart\n\nNewest first; the version is Chart.yaml's."]
    for release in RELEASES:
        items = "\n".join(f"- {change}" for change in release.changes)
        parts.append(f"## {release.version}\n\n{items}")
    return "\n\n".join(parts) + "\n"
