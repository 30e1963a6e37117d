"""`python -m services.billing`: consume orders and serve probes and metrics."""

from services.billing.app import BillingDeps, create_app
from services.billing.config import BillingConfig
from services.common.app import run_service

if __name__ == "__main__":
    run_service("billing", BillingConfig.from_env, BillingDeps.open, create_app)
