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

from collections.abc import Callable
from typing import ClassVar, NamedTuple

from werkzeug.wrappers import Response

from .context import Ctx
from .errors import ServiceError
from .faults import Fault

__all__ = ["BaseResponse", "EntryPoints", "entry_points"]


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


class EntryPoints(NamedTuple):
    """The route entry points the server (:class:`~imgx_kit.emulator.wsgi.App`) calls on a service."""

    handle: Callable[[Ctx], Response]
    fault_response: Callable[[Ctx, Fault], Response]
    internal_error: Callable[[Ctx], Response]
    bad_request: Callable[[Ctx, str], Response]
    too_large: Callable[[Ctx], Response]


def entry_points(cls: type[BaseResponse]) -> EntryPoints:
    """The server's entry points for responses class ``cls`` (each builds one ``cls(ctx)``)."""

    def handle(ctx: Ctx) -> Response:
        return cls(ctx).dispatch()

    def fault_response(ctx: Ctx, fault: Fault) -> Response:
        r = cls(ctx)
        return r.answer(r.fault_error(fault))

    def internal_error(ctx: Ctx) -> Response:
        r = cls(ctx)
        return r.answer(r.internal_error())

    def bad_request(ctx: Ctx, why: str) -> Response:
        r = cls(ctx)
        return r.answer(r.bad_request_error(why))

    def too_large(ctx: Ctx) -> Response:
        r = cls(ctx)
        return r.answer(r.too_large_error())

    return EntryPoints(handle, fault_response, internal_error, bad_request, too_large)
