"""The typed errors a service's handlers raise instead of building an error answer by hand.

Each carries what its service's envelope needs; :meth:`.responses.BaseResponse.dispatch` is the
one place that catches them and has the service's ``error_response`` turn them into the wire
answer (the gateway's ``ResponseMetadata.Error``, Jimeng's ``ret``, the upload host's two shapes,
the CV business envelope). OSS keeps its own :class:`~imgx_kit.emulator.oss.backend.OssError`.

    >>> e = GatewayError("MissingParameter", "The request is missing ServiceId parameter.")
    >>> e.code, e.status, str(e)
    ('MissingParameter', None, 'MissingParameter: The request is missing ServiceId parameter.')
"""
from __future__ import annotations

from typing import Any

__all__ = ["CvError", "GatewayError", "JimengError", "ServiceError", "UploadError"]


class ServiceError(Exception):
    """Base of the errors a service answers in its own envelope."""


class GatewayError(ServiceError):
    """A Volcengine/ImageX gateway error (protocols.md §6.1): ``code`` from the gateway table;
    ``message`` ``None`` = the gateway's own text; ``status`` ``None`` = the code's status;
    ``region`` overrides the call's; ``log`` is what the request log records when it differs from
    the message; ``trace``/``scheme`` what the verifier computed; ``teaching`` the echo on the wire."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None,
                 region: str | None = None, log: str | None = None, trace: Any = None,
                 scheme: str | None = None, teaching: dict | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message, self.status, self.region = code, message, status, region
        self.log, self.trace, self.scheme, self.teaching = log, trace, scheme, teaching


class JimengError(ServiceError):
    """A Jimeng ``ret`` error (HTTP 200 unless ``status`` says otherwise; ``ret`` a string);
    ``log`` what the request log records when it differs from ``errmsg``."""

    def __init__(self, ret: str, errmsg: str, status: int = 200, *, log: str | None = None) -> None:
        super().__init__(f"ret {ret}: {errmsg}")
        self.ret, self.errmsg, self.status = ret, errmsg, status
        self.log = log if log is not None else errmsg


class UploadError(ServiceError):
    """An upload-host error: HTTP ``status``, the host's numeric ``code`` and its ``message``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class CvError(ServiceError):
    """A CV business error: ``code`` one of :data:`~imgx_kit.emulator.envelopes.CV_ERRORS`,
    ``why`` the reason (logged; on the wire for 50215 in teaching mode)."""

    def __init__(self, code: int, why: str = "", data: Any = None) -> None:
        super().__init__(f"{code}: {why}" if why else str(code))
        self.code, self.why, self.data = code, why, data
