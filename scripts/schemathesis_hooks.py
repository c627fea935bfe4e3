"""Schemathesis checks of the contract beyond the schema (scripts/schemathesis.sh loads this file
through SCHEMATHESIS_HOOKS).

error_shape: every 4xx/5xx answer is the contract's error body, `{"error": CODE, "message": text,
...details}`, with a known code whose status is the one the contract gives it (shared/API.md §2),
and a 429 carries Retry-After.
"""

import json

import schemathesis

STATUS_OF = {
    "VALIDATION_ERROR": 400,
    "IDEMPOTENCY_KEY_MISSING": 400,
    "UNAUTHORIZED": 401,
    "PAYMENT_FAILED": 402,
    "FORBIDDEN": 403,
    "NOT_ADMITTED": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "SEAT_UNAVAILABLE": 409,
    "RESERVATION_EXPIRED": 409,
    "RESERVATION_NOT_ACTIVE": 409,
    "EVENT_NOT_ON_SALE": 409,
    "INVALID_STATE_TRANSITION": 409,
    "EMAIL_TAKEN": 409,
    "IDEMPOTENCY_KEY_IN_USE": 409,
    "TICKET_LIMIT_EXCEEDED": 409,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "IDEMPOTENCY_KEY_REUSED": 422,
    "RATE_LIMITED": 429,
    "UNAVAILABLE": 503,
    "INTERNAL_ERROR": 500,
}


@schemathesis.check
def error_shape(ctx, response, case):
    status = response.status_code
    if status < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{status} without a JSON body: {response.content[:200]!r}")
    if not isinstance(body, dict):
        raise AssertionError(f"{status} body is not an object: {body!r}")
    code, message = body.get("error"), body.get("message")
    if not isinstance(code, str) or not isinstance(message, str):
        raise AssertionError(f"{status} body lacks string 'error' and 'message': {body!r}")
    if code not in STATUS_OF:
        raise AssertionError(f"{status} with an unknown error code {code!r}")
    if STATUS_OF[code] != status:
        raise AssertionError(f"{code} answered with {status}, the contract says {STATUS_OF[code]}")
    if status == 429 and "retry-after" not in {k.lower() for k in response.headers}:
        raise AssertionError("429 without Retry-After")
    return None
