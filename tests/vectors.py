"""Loaders for the published signing vectors in tests/data/vectors (test helper, not a test)."""
from __future__ import annotations

import json
from pathlib import Path

import imgx_kit as ik

from imgx_testing import VECTORS


def parse_raw(text: str, scheme: str = "https") -> ik.HttpRequest:
    """A request as the suites write it: request line, `Name:value` headers (obs-fold lines
    unfolded with one space, as an HTTP parser does), blank line, body."""
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    headers: list[list[str]] = []
    for line in (ln for ln in lines[1:] if ln):
        if line[:1] in (" ", "\t") and headers:
            headers[-1][1] += " " + line.strip()
            continue
        name, _, value = line.partition(":")
        headers.append([name, value])
    host = next(v for k, v in headers if k.lower() == "host").strip()
    return ik.HttpRequest.build(method, f"{scheme}://{host}{target}", [tuple(h) for h in headers], body.encode())


def classic_cases() -> list[tuple[str, Path]]:
    root = VECTORS / "aws-sig-v4-test-suite"
    out = []
    for req in sorted(root.rglob("*.req")):
        out.append((str(req.parent.relative_to(root)), req.parent))
    return out


def read(case_dir: Path, suffix: str) -> str:
    return (case_dir / f"{case_dir.name}{suffix}").read_text(encoding="utf-8")


def v4_cases() -> list[tuple[str, Path]]:
    root = VECTORS / "aws-signing-test-suite-v4"
    return [(d.name, d) for d in sorted(root.iterdir()) if (d / "context.json").exists()]


def v4_context(case_dir: Path) -> dict:
    return json.loads((case_dir / "context.json").read_text())
