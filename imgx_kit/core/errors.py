"""Every error imgx-kit raises is an :class:`ImgxError`.

Each subclass names what was wrong and what to do about it, so a user sees one clear line
instead of a deep traceback::

    >>> import imgx_kit as ik
    >>> try:
    ...     ik.HttpRequest.build("GET", "/relative")
    ... except ik.ImgxError as e:
    ...     print(type(e).__name__)
    RequestError
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .redact import scrub

__all__ = [
    "CaptureError",
    "ClientConfigError",
    "CredentialsError",
    "DiagnoseError",
    "EmulatorError",
    "ImageInputError",
    "ImgxError",
    "InpaintError",
    "LoginError",
    "MissingExtraError",
    "PainterError",
    "ProcessSyntaxError",
    "RequestError",
    "SchemeError",
    "ServiceError",
    "SignatureMismatchError",
    "SigningError",
    "ThrottledError",
    "UploadError",
]


class ImgxError(Exception):
    """Base of every error imgx-kit raises. ``str(e)`` says what was wrong and how to fix it.

    Messages often quote the caller's input (a URL, a header line); whatever in them looks like a
    secret — session tokens, sessionid cookies, upload ``Auth`` values — is masked here, once for all."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message = _printable(scrub(message))
        self.hint = hint = _printable(scrub(hint)) if hint else hint
        super().__init__(message if not hint else f"{message} — {hint}")

    def __str__(self) -> str:
        if not self.hint or self.args != (f"{self.message} — {self.hint}",):
            return super().__str__()
        # the hint in the language set by ik.set_language (English by default)
        from .i18n import tr
        return f"{self.message} — {tr(self.hint)}"


def _printable(text: str) -> str:
    """Quoted input may hold lone surrogates, which ``print(e)`` cannot encode: show them escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if not text.isascii() else text


class RequestError(ImgxError, ValueError):
    """An :class:`~imgx_kit.HttpRequest` could not be built from what was given."""


class CredentialsError(ImgxError, ValueError):
    """Credentials are missing or of the wrong type."""


class SigningError(ImgxError, ValueError):
    """A signer was configured or called with values it cannot use."""


class SchemeError(SigningError):
    """An unknown signing scheme was named."""


class ProcessSyntaxError(ImgxError, ValueError):
    """An ``x-oss-process`` string is malformed. Carries ``action``, ``parameter``, ``column``."""

    def __init__(self, message: str, *, action: str | None = None, parameter: str | None = None,
                 column: int | None = None, allowed: str | None = None,
                 suggestion: str | None = None, hint: str | None = None, reason: str | None = None,
                 ec: str | None = None, code: str = "InvalidArgument", status: int = 400) -> None:
        self.action = action
        self.parameter = parameter
        self.column = column
        self.allowed = allowed
        self.suggestion = suggestion
        self.reason = reason if reason is not None else message   # without the location
        self.ec = ec              # OSS error code (EC) where OSS publishes one
        self.code = code          # OSS <Code>
        self.status = status      # the HTTP status OSS answers with
        super().__init__(message, hint=hint)


class CaptureError(ImgxError, ValueError):
    """A captured request (curl, HAR, raw HTTP) could not be parsed."""


class DiagnoseError(ImgxError, ValueError):
    """A request could not be diagnosed (for example its Authorization does not parse)."""


class ImageInputError(ImgxError, ValueError):
    """An image or mask input is unreadable, of the wrong size, or outside the limits.
    ``code``/``status``/``ec`` are what OSS answers for the same problem."""

    def __init__(self, message: str, *, hint: str | None = None, ec: str | None = None,
                 code: str = "InvalidArgument", status: int = 400) -> None:
        self.ec, self.code, self.status = ec, code, status
        super().__init__(message, hint=hint)


class PainterError(ImgxError, ValueError):
    """The mask painter was given an input it cannot use."""


class ClientConfigError(ImgxError, ValueError):
    """A client was configured with values it cannot use (unknown region, bad endpoints …)."""


class MissingExtraError(ImgxError, ImportError):
    """An optional extra is not installed; ``extra`` names it, ``module`` what is missing, and the
    hint is the ``pip install "imgx-kit[extra]"`` that fixes it."""

    def __init__(self, message: str, *, extra: str, module: str, hint: str | None = None) -> None:
        self.extra = extra
        self.module = module
        super().__init__(message, hint=hint or f'pip install "imgx-kit[{extra}]"')
        self.name = module          # ImportError's attribute: the module that could not be imported


class EmulatorError(ImgxError, RuntimeError):
    """The local emulator could not start or was used wrongly."""


class ServiceError(ImgxError, RuntimeError):
    """A service answered with an error. Carries its ``code``, ``message`` and ``request_id``."""

    def __init__(self, message: str, *, code: str | int | None = None, status: int | None = None,
                 request_id: str | None = None, service: str | None = None,
                 hint: str | None = None, calls: list[Any] | None = None) -> None:
        self.code = code
        self.status = status
        self.request_id = request_id
        self.service = service
        self.calls = list(calls or [])
        details = ", ".join(
            f"{k}={v}" for k, v in (("service", service), ("status", status), ("code", code),
                                    ("request_id", request_id)) if v not in (None, "")
        )
        super().__init__(f"{message} ({details})" if details else message, hint=hint)


class LoginError(ServiceError):
    """Jimeng/Dreamina rejected the session (``ret`` 1015): the sessionid is wrong or expired."""


class SignatureMismatchError(ServiceError):
    """The gateway answered ``SignatureDoesNotMatch``; ``echo`` holds what the server computed."""

    def __init__(self, message: str, *, echo: Mapping[str, Any] | None = None, **kw: Any) -> None:
        self.echo = echo
        super().__init__(message, **kw)


class ThrottledError(ServiceError):
    """The service throttled the call (HTTP 429, 50429/50430, FlowLimitExceeded)."""


class InpaintError(ServiceError):
    """The inpainting service refused the input or failed (50411, 50215, 50500 …)."""


class UploadError(ServiceError):
    """An upload failed: CRC mismatch, UriStatus other than 2000, a bad upload Auth …"""
