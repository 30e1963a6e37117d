"""The cdk8s app: every construct of the chart, in one place, in reading order."""

from __future__ import annotations

import cdk8s

from generator.chart import backends, platform, wiring
from generator.chart.operators import PostgresCluster, RabbitCluster
from generator.chart.render import Templates
from generator.chart.stateful import Database, RabbitMq
from generator.chart.wiring import NAMES
from generator.chart.workloads import AppWorkload, Component

GATEWAY = Component(NAMES.gateway, "gateway", "gateway")
INVENTORY = Component(NAMES.inventory, "inventory", "inventory")
BILLING = Component(NAMES.billing, "billing", "billing")
INVENTORY_DB = Component(NAMES.inventory_db, "inventoryDb", "database")
BILLING_DB = Component(NAMES.billing_db, "billingDb", "database")
RABBITMQ = Component(NAMES.rabbitmq, "rabbitmq", "broker")


def build() -> Templates:
    """Every object of the chart, resolved into manifests with Helm stand-ins."""
    out = Templates()
    chart = cdk8s.Chart(cdk8s.App(), "movies", disable_resource_name_hashes=True)
    AppWorkload(
        chart,
        out=out,
        app=GATEWAY,
        stateful=False,
        service="nodeport",
        env=wiring.GATEWAY_ENV,
        env_items=[platform.gateway_tokens_env()],
    )
    AppWorkload(
        chart,
        out=out,
        app=INVENTORY,
        stateful=False,
        service="clusterip",
        env=wiring.INVENTORY_ENV,
    )
    AppWorkload(
        chart, out=out, app=BILLING, stateful=True, service="headless", env=wiring.BILLING_ENV
    )
    for db, backend in ((INVENTORY_DB, backends.INVENTORY_DB), (BILLING_DB, backends.BILLING_DB)):
        Database(chart, out=out, db=db, backend=backend)
        PostgresCluster(chart, out=out, db=db, backend=backend)
    RabbitMq(chart, out=out, broker=RABBITMQ, backend=backends.RABBITMQ)
    RabbitCluster(chart, out=out, broker=RABBITMQ, backend=backends.RABBITMQ)
    platform.AppConfig(chart, out=out)
    platform.secrets(chart, out=out)
    platform.GatewayTokens(chart, out=out)
    platform.TrafficRules(chart, out=out)
    platform.GatewayIngress(chart, out=out)
    platform.Monitoring(chart, out=out)
    platform.GatewayTest(chart, out=out)
    out.resolve()
    return out
