"""The largest id anything in the system can have.

Movie ids are BIGSERIAL and user ids BIGINT: a number above this cannot exist, so a request that
names one is answered as "not found" or "invalid" without asking the database.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1
