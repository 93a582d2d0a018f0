"""Hypothesis strategies for awkward requests: unicode and reserved characters and spaces in
paths, repeated and empty query keys, unicode values, mixed-case header names, runs of
whitespace, empty and binary bodies, with and without session tokens."""
from __future__ import annotations

import string
from datetime import datetime, timezone
from urllib.parse import quote

from hypothesis import strategies as st

PATH_CHARS = string.ascii_letters + string.digits + " -_.~!$&'()*+,;=:@%" + "éü中文ሴ"
QUERY_CHARS = string.ascii_letters + string.digits + " -_.~!$'()*+,;:@/%?=&" + "éü中文ሴ"
TOKEN_CHARS = string.ascii_letters + string.digits + "-"
VALUE_CHARS = string.ascii_letters + string.digits + " \t-_.,;:=/+*()\"'!@#$%^&" + "é"

segments = st.one_of(st.text(PATH_CHARS, min_size=1, max_size=8), st.sampled_from([".", "..", ""]))
paths = st.lists(segments, max_size=5).map(lambda s: "/" + "/".join(s))
query_text = st.text(QUERY_CHARS, max_size=8)
query_pairs = st.lists(st.tuples(query_text, query_text), max_size=6).flatmap(
    lambda pairs: st.just(pairs) if not pairs
    else st.sampled_from([pairs, pairs + [pairs[0]], pairs + [(pairs[0][0], "")]]))
header_names = st.text(TOKEN_CHARS, min_size=1, max_size=10).map(lambda s: "X-" + s)
header_values = st.text(VALUE_CHARS, max_size=16)
bodies = st.one_of(st.just(b""), st.binary(max_size=64), st.text(max_size=40).map(str.encode))
tokens = st.one_of(st.none(), st.text(string.ascii_letters + string.digits + "/+=", min_size=8, max_size=40))
times = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2035, 12, 31),
                     timezones=st.just(timezone.utc))
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"])
hosts = st.sampled_from(["example.amazonaws.com", "imagex.bytedanceapi.com", "Example.COM:8443",
                         "visual.volcengineapi.com:443", "127.0.0.1:8080"])


def encode_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)


def mixed_case(name: str, flips: list[bool]) -> str:
    padded = (flips + [False] * len(name))[:len(name)]
    return "".join(c.upper() if f else c.lower() for c, f in zip(name, padded, strict=True))
