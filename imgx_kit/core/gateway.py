"""Gateway error codes of the Volcengine/ImageX "TOP" gateway and their HTTP statuses.

One table, used by the verifier (``Verification.code``), the emulator's envelopes and the
clients' typed errors (reference: protocols.md §6.2)::

    >>> from imgx_kit.core.gateway import GATEWAY_ERRORS
    >>> GATEWAY_ERRORS["SignatureDoesNotMatch"].status
    401
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GATEWAY_ERRORS", "GatewayError"]


@dataclass(frozen=True)
class GatewayError:
    code: str
    code_n: int | None
    status: int
    message: str


_ROWS = [
    ("UndefinedError", 100001, 500, "Undefined Internal Error. Pls Contact With Admin."),
    ("MissingParameter", 100002, 400, "The request is missing {} parameter."),
    ("MissingAuthenticationToken", 100003, 401, "Request is missing Authentication Token."),
    ("MissingRequestInfo", 100004, 400, "The request is missing {} information."),
    ("MissingSignature", 100005, 401, "The request is missing signature."),
    ("InvalidTimestamp", 100006, 400, "The Signature of the request is expired."),
    ("ServiceNotFound", 100007, 404, "This service[{}] not found."),
    ("InvalidActionOrVersion", 100008, 404, "Could not find operation {} for version {}."),
    ("InvalidAccessKey", 100009, 401, "The accesskey [{}] included in the request is invalid."),
    ("SignatureDoesNotMatch", 100010, 401,
     "The request signature we calculated does not match the signature you provided. Check your "
     "Secret Access Key and signing method. Consult the service documentation for details."),
    ("AccessDenied", 100013, 403, "User is not authorized to perform: {} on resource: {}."),
    ("InternalError", 100014, 500, "Service has some internal Error. Pls Contact With Admin."),
    ("FlowLimitExceeded", None, 429, "request too frequent"),
    ("ServiceUnavailableTemp", None, 503, "service temporarily unavailable"),
    ("MethodNotAllowed", None, 405, "invalid HTTP method"),
    ("InvalidAuthorization", None, 400, "Invalid 'Authorization' header, Pls check authorization header."),
    ("InvalidCredential", None, 400,
     "Invalid credential in 'Authorization', Pls check credential in authorization header."),
    ("InvalidSecretToken", None, 401, "Invalid secret token, msg: {}."),
    ("RequestExpired", None, 403, "Request has expired."),
    ("AuthorizationQueryParametersError", None, 400,
     "X-Amz-Expires must be less than a week (in seconds) that is; 604800"),
    ("InvalidParameter", None, 400, "The parameter {} is invalid."),
]
GATEWAY_ERRORS: dict[str, GatewayError] = {r[0]: GatewayError(*r) for r in _ROWS}
