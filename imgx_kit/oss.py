"""``ik.oss``: Aliyun OSS signing (V1, V4), x-oss-process building and local processing, a client.

    >>> import imgx_kit as ik
    >>> str(ik.oss.Process().resize(w=100).rotate(90))
    'image/resize,w_100/rotate,90'

Signing and the process builder are core (standard library); ``apply``/``render`` (Pillow) and
``Client`` (requests) are imported on first use.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core.oss_sign import SUBRESOURCES, http_date, object_url, sign, sign_url, verify

_LAZY = {"Process": "imgx_kit.core.oss_process", "apply": "imgx_kit.services.oss_apply",
         "render": "imgx_kit.services.oss_apply", "Client": "imgx_kit.services.oss_client",
         "ProcessSyntaxError": "imgx_kit.core.errors"}

if TYPE_CHECKING:                      # the lazy names for type checkers (tests/test_typing.py keeps them in step)
    from .core.errors import ProcessSyntaxError as ProcessSyntaxError
    from .core.oss_process import Process as Process
    from .services.oss_apply import apply as apply, render as render
    from .services.oss_client import Client as Client

__all__ = ["sign", "sign_url", "verify", "object_url", "http_date", "SUBRESOURCES", *_LAZY]


if not TYPE_CHECKING:   # hidden from type checkers, so that a misspelt name is an error there, not Any
    def __getattr__(name: str) -> Any:
        if name in _LAZY:
            value = getattr(importlib.import_module(_LAZY[name]), name)
            globals()[name] = value
            return value
        raise AttributeError(f"module 'imgx_kit.oss' has no attribute {name!r}")
