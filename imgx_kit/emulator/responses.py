"""The base of every JSON service's responses class, after moto's ``core/responses.py``
``BaseResponse``: one method per Action (:attr:`ACTIONS` names them), and :meth:`dispatch`, the
one place where a :class:`~imgx_kit.emulator.errors.ServiceError` a handler raises becomes the
service's own envelope (:meth:`error_response`). State lives in each service's ``backend``
module (no HTTP); routing in :mod:`.routing` and :mod:`.wsgi`.

    >>> from imgx_kit.emulator.imagex.responses import ImageXResponse
    >>> sorted(ImageXResponse.ACTIONS.values())
    ['apply_image_upload', 'commit_image_upload']
"""
from __future__ import annotations

from typing import ClassVar

from werkzeug.wrappers import Response

from .context import Ctx
from .errors import ServiceError
from .faults import Fault

__all__ = ["BaseResponse"]


class BaseResponse:
    """One request to a service. Subclasses set :attr:`ACTIONS` (Action → method name), and
    implement :meth:`call` (pick the method, after the service's routing checks),
    :meth:`error_response`, :meth:`fault_error`, :meth:`internal_error`, :meth:`bad_request_error`
    and :meth:`too_large_error`."""

    ACTIONS: ClassVar[dict[str, str]] = {}

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    # ---- the one place errors become envelopes --------------------------------------------
    def dispatch(self) -> Response:
        """Answer the request: the action's method, or the envelope of the error it raised."""
        try:
            return self.call()
        except ServiceError as e:
            return self.error_response(e)

    def answer(self, err: ServiceError) -> Response:
        """The envelope of ``err`` (for the server's early answers: faults, framing, size)."""
        return self.error_response(err)

    def call_action(self, action: str) -> Response:
        """Call the method :attr:`ACTIONS` names for ``action``."""
        method = getattr(self, self.ACTIONS[action])
        resp: Response = method()
        return resp

    # ---- what each service provides ---------------------------------------------------------
    def call(self) -> Response:
        raise NotImplementedError

    def error_response(self, err: ServiceError) -> Response:
        raise NotImplementedError

    def fault_error(self, fault: Fault) -> ServiceError:
        raise NotImplementedError

    def internal_error(self) -> ServiceError:
        raise NotImplementedError

    def bad_request_error(self, why: str) -> ServiceError:
        raise NotImplementedError

    def too_large_error(self) -> ServiceError:
        raise NotImplementedError
