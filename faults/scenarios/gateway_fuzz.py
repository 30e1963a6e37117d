"""Schemathesis against the OpenAPI document the gateway itself serves."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from decimal import Decimal

import requests
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup

from faults.context import Context
from faults.result import Result
from faults.stack import FaultStack

NAME = "gateway-fuzz"
CLAIM = (
    "Schemathesis loads `/api/openapi.json` from the running gateway and sends every "
    "operation generated requests, valid and invalid by the document (the movie operations "
    "also straight to inventory, which serves the same paths): no answer is a 500, "
    "every answer matches the document (status, content type, headers, body schema), "
    "invalid requests are refused with 4xx, and every order answered 200 is stored once."
)


# "Every answer matches the document": a failure of these fails the scenario.
ANSWER_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# Does the service accept exactly what the document allows? Also failures: a document that
# says more or less than the service does misleads every client generated from it.
INPUT_CHECKS = [checks.positive_data_acceptance, checks.negative_data_rejection]


def _input_checks(
    case: schemathesis.Case, response: schemathesis.Response
) -> list[checks.CheckFunction]:
    # 413 and 415 refuse a body before its content is read: a rejection all the same, though
    # schemathesis only counts 400/422-style codes as one.
    if response.status_code in (413, 415) or _float_artifact(case.body):
        return []
    return INPUT_CHECKS


def _float_artifact(body: object) -> bool:
    """jsonschema checks `multipleOf: 0.01` in binary floats, so 7091553447.610001 passes it
    although, as sent, it has six decimal places and the gateway rightly refuses it."""
    amount = body.get("total_amount") if isinstance(body, dict) else None
    if not isinstance(amount, float) or not math.isfinite(amount):
        return False
    exponent = Decimal(repr(amount)).as_tuple().exponent
    return isinstance(exponent, int) and exponent < -2


class Findings:
    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.order_ids: set[str] = set()
        self.problems: Counter[tuple[str, str]] = Counter()
        self.examples: dict[str, str] = {}

    def record(self, case: schemathesis.Case, response: schemathesis.Response) -> None:
        self.statuses[response.status_code] += 1
        if case.operation.path == "/api/billing" and response.status_code == 200:
            self.order_ids.add(response.json()["order_id"])
        for kind, chosen in (("answer", ANSWER_CHECKS), ("input", _input_checks(case, response))):
            try:
                case.validate_response(response, checks=chosen)
            except (AssertionError, FailureGroup) as group:  # one failed check, or several
                for failure in getattr(group, "exceptions", [group]):
                    title = getattr(failure, "title", None) or str(failure).splitlines()[0]
                    self.problems[(kind, f"{case.operation.label}: {title[:160]}")] += 1
                    self.examples.setdefault(title, _reproduce(case, response))


def _reproduce(case: schemathesis.Case, response: schemathesis.Response) -> str:
    body = repr(getattr(case, "body", None))[:200]
    answer = f"{response.status_code} {response.text[:200]}"
    return f"{case.method} {case.formatted_path} {body} -> {answer}"


def run(ctx: Context) -> Result:
    result = Result(NAME, CLAIM)
    stack = FaultStack.create(ctx.workdir / NAME).start()
    try:
        findings = Findings()
        document = f"{stack.gateway.url}/api/openapi.json"
        examples = ctx.scale(150, 40)
        _fuzz(findings, document, stack.gateway.url, examples=examples, replay=ctx.seed)
        through_gateway = sum(findings.statuses.values())
        # Inventory serves the same movie paths and must hold to the same document.
        _fuzz(
            findings,
            document,
            stack.inventory.url,
            examples=examples // 2,
            replay=ctx.seed,
            prefix="/api/movies",
        )
        result.notes.append(
            f"{through_gateway} requests to the gateway, "
            f"{sum(findings.statuses.values()) - through_gateway} straight to inventory"
        )
        stack.settle()
        stored = {row[0] for row in stack.stack.billing_db.query("SELECT message_id FROM orders")}
        result.count_statuses(findings.statuses)
        result.figures.sent = sum(findings.statuses.values())
        result.figures.acknowledged = len(findings.order_ids)
        result.figures.stored = stack.stored_count()
        result.figures.lost = len(findings.order_ids - stored)
        result.expect(findings.statuses[500] == 0, f"{findings.statuses[500]} answers were 500")
        result.expect(not result.figures.lost, f"{result.figures.lost} orders answered 200 lost")
        result.expect(result.figures.acknowledged > 0, "no valid order was generated")
        for (kind, problem), count in findings.problems.most_common(10):
            result.failures.append(f"{count}x {kind}: {problem}")
        result.notes.extend(f"example of {t}: {e}" for t, e in findings.examples.items())
    finally:
        stack.destroy()
    return result


def _fuzz(
    findings: Findings,
    document: str,
    base_url: str,
    *,
    examples: int,
    replay: int,
    prefix: str = "/",
) -> None:
    """Sends every operation under `prefix` in `document` to `base_url`, valid and invalid."""
    schema = schemathesis.openapi.from_url(document)
    session = requests.Session()
    budget = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    operations = [op.ok() for op in schema.get_all_operations()]
    for operation in (op for op in operations if op.path.startswith(prefix)):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            def send(case: schemathesis.Case) -> None:
                response = case.call(base_url=base_url, session=session, timeout=15)
                findings.record(case, response)

            # An operation with nothing to send (DELETE /api/movies) has no invalid variant.
            with contextlib.suppress(Unsatisfiable):
                budget(seed(replay)(given(strategy)(send)))()
