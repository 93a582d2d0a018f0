"""Aliyun OSS naming rules, in one place for the signer, the process parser and the emulator.

    >>> valid_bucket_name("examplebucket"), valid_bucket_name("evil.com/x"), valid_bucket_name("ab")
    (True, False, False)
"""
from __future__ import annotations

import re

__all__ = ["BUCKET_NAME", "valid_bucket_name"]

# 3–63 lower-case letters, digits and '-', starting and ending with a letter or digit
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9\-]{1,61}[a-z0-9]")


def valid_bucket_name(name: object) -> bool:
    """Whether ``name`` is a bucket name OSS accepts."""
    return isinstance(name, str) and BUCKET_NAME.fullmatch(name) is not None
