"""Small pieces shared by the sub-commands: times, file arguments, CLI wording of errors.

    >>> parse_time("2025-01-01T00:00:00Z", "--at", ImgxError).isoformat()
    '2025-01-01T00:00:00+00:00'
    >>> cli_wording("pass signer= (e.g. ik.presets.VOLC_CV) to say what the server expects")
    'name --preset (or --scheme, --region and --service) to say what the server expects'
"""
from __future__ import annotations

import os
import re
import stat
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..core.errors import ImgxError

__all__ = [
    "MAX_BODY",
    "MAX_TEXT",
    "UsageError",
    "arg_bytes",
    "check_inputs",
    "check_output",
    "cli_wording",
    "parse_time",
    "read_input",
]

MAX_BODY = 64 * 1024 * 1024       # --data-file, --body-file: a request body
MAX_TEXT = 32 * 1024 * 1024       # --curl/--raw/--har/--response: a capture


class UsageError(ImgxError, ValueError):
    """A command-line argument the command cannot use (a missing file, a device, a bad value)."""


def parse_time(text: str | None, flag: str, error: type[ImgxError]) -> datetime | None:
    """An aware UTC datetime from ``--flag 2025-01-01T00:00:00Z`` (``now`` is the current time)."""
    if not text:
        return None
    if text == "now":
        return datetime.now(timezone.utc)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise error(f"{flag} {text!r} is not an ISO 8601 time", hint="e.g. 2025-01-01T00:00:00Z") from None
    if at.tzinfo is None:
        raise error(f"{flag} {text!r} has no time zone",
                    hint="use an aware UTC time such as 2025-01-01T00:00:00Z") from None
    try:
        at = at.astimezone(timezone.utc)
        _ = at.replace(tzinfo=None) - datetime(1970, 1, 1)        # representable in UTC and as a timestamp
    except (OverflowError, ValueError):
        raise error(f"{flag} {text!r} is outside the years 1–9999 once converted to UTC",
                    hint="e.g. 2025-01-01T00:00:00Z") from None
    if not 1970 <= at.year <= 9999:
        raise error(f"{flag} {text!r} is before 1970", hint="signing times are Unix times, e.g. 2025-01-01T00:00:00Z")
    return at


def arg_bytes(text: str, flag: str) -> bytes:
    """Bytes of a text argument as the shell passed them: undecodable bytes (``$'\\xff'``) come back
    as they were (``os.fsencode``), so ``--data $'\\xff'`` signs the byte 0xFF.

        >>> arg_bytes("caf\\u00e9", "--data")
        b'caf\\xc3\\xa9'
    """
    try:
        return os.fsencode(text)
    except UnicodeError:
        raise UsageError(f"{flag} holds a lone surrogate (broken Unicode)",
                         hint=f"pass the bytes with {flag}-file instead") from None


def arg_url(text: str) -> str:
    """A URL argument with the bytes the shell passed undecoded (``$'\\xff'``) percent-encoded, as a
    server reads those bytes on the wire (``%FF``); valid text is unchanged.

        >>> arg_url(os.fsdecode(b"https://h/caf\\xc3\\xa9\\xff"))
        'https://h/café%FF'
    """
    return "".join(f"%{ord(c) - 0xDC00:02X}" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text)


def one_line(text: str) -> str:
    """argparse ``type=`` for names (region, service, bucket …): no control characters, which would
    end up in a signed header (CR/LF: header injection).

        >>> one_line("cn-north-1")
        'cn-north-1'
    """
    import argparse
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise argparse.ArgumentTypeError(f"{text!r} holds a control character (a line break, tab or NUL)")
    return text


def _describe(path: str, flag: str) -> os.stat_result:
    """``os.stat`` of a file argument, or a :class:`UsageError` saying why it cannot be read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"{flag} {path}: no such file", hint="check the file name") from None
    except PermissionError:
        raise UsageError(f"{flag} {path}: permission denied", hint="check the file's permissions") from None
    except (OSError, ValueError) as e:           # a NUL in the name, a name too long, a loop …
        raise UsageError(f"{flag} {path}: cannot read ({getattr(e, 'strerror', None) or e})",
                         hint="check the file name") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{flag} {path} is a directory", hint="name a file")
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{flag} {path} is not a regular file (a device, FIFO or socket)",
                         hint="save what it holds to a file and pass that")
    return st


def read_input(path: str | Path, flag: str, limit: int = MAX_TEXT, stdin: bool = False) -> bytes:
    """The bytes of a file argument, at most ``limit``: a missing file, a directory, a device or a
    FIFO (which would block or never end) is a :class:`UsageError`, checked before opening.
    ``-`` reads standard input when ``stdin`` (also capped)."""
    name = os.fspath(path)
    if stdin and name == "-":
        src = getattr(sys.stdin, "buffer", None)
        data = src.read(limit + 1) if src is not None else sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
        if len(data) > limit:
            raise UsageError(f"{flag} -: standard input is larger than {limit // 2**20} MiB",
                             hint="pass a smaller capture")
        return data
    st = _describe(name, flag)
    if st.st_size > limit:
        raise UsageError(f"{flag} {name} is larger than {limit // 2**20} MiB ({st.st_size} bytes)",
                         hint="pass a smaller file")
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):    # replaced since the check
                raise UsageError(f"{flag} {name} is not a regular file", hint="pass a regular file")
            data = f.read(limit + 1)
    except OSError as e:
        raise UsageError(f"{flag} {name}: cannot read ({e.strerror})", hint="check the file") from None
    if len(data) > limit:
        raise UsageError(f"{flag} {name} grew past {limit // 2**20} MiB while being read", hint="pass a smaller file")
    return data


def read_text(path: str | Path, flag: str, limit: int = MAX_TEXT, stdin: bool = False) -> str:
    """:func:`read_input` decoded as UTF-8 (a BOM is dropped)."""
    data = read_input(path, flag, limit, stdin)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{flag} {os.fspath(path)} is not UTF-8 text", hint="save the capture as UTF-8") from None


def check_inputs(values: list[str], flag: str) -> None:
    """Local file arguments (not ``http(s)://`` or ``data:`` URIs) exist and are regular files."""
    for v in values:
        if not v.startswith(("http://", "https://", "data:")):
            _describe(v, flag)


def check_output(path: Path, flag: str = "-o") -> None:
    """``path`` can be written: its folder exists and is writable, it is not a directory or a
    device. Checked before any work starts, so nothing computed is lost."""
    name = os.fspath(path)
    if not name or name.endswith(os.sep):
        raise UsageError(f"{flag} {name!r} names no file", hint="give a file name such as out.png")
    folder = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {name}: the folder {folder} does not exist", hint="create it first (mkdir -p)")
    if os.path.isdir(name):
        raise UsageError(f"{flag} {name} is a directory", hint="give a file name such as out.png")
    if os.path.exists(name) and not os.path.isfile(name):
        raise UsageError(f"{flag} {name} is not a regular file (a device, FIFO or socket)",
                         hint="give a file name such as out.png")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(name) and not os.access(name, os.W_OK)):
        raise UsageError(f"{flag} {name}: permission denied", hint="choose a folder you can write to")


# ImgxError messages and hints are written for Python users; on the command line the same advice
# names flags and the shell. One table, applied to whatever the CLI prints.
_WORDING = [
    (re.compile(r"pass signer= \(e\.g\. ik\.presets\.\w+\)"), "name --preset (or --scheme, --region and --service)"),
    (re.compile(r"\(pass signer= to check it\)"), "(name --preset or --scheme/--region/--service to check it)"),
    (re.compile(r"e\.g\. signer=ik\.presets\.VOLC_CV or ik\.Signer\(ik\.AWS4, region=\.\.\., service=\.\.\.\)"),
     "e.g. --preset VOLC_CV, or --scheme AWS4 --region us-east-1 --service s3"),
    (re.compile(r"pass signer="), "name --preset"),
    (re.compile(r"e\.g\. signed_headers=\['host', 'x-amz-date'\]"), "e.g. --signed-headers 'host;x-amz-date'"),
    (re.compile(r"e\.g\. \w+=\['([^']*)'\]"), r"e.g. --signed-headers '\1'"),
    (re.compile(r"e\.g\. index=0 \(the first entry; har_entries\(har\) lists them\)"), "e.g. --entry 0 (the first)"),
    (re.compile(r"pass another url_contains, or index=N"), "pass another --url-contains, or --entry N"),
    (re.compile(r"pass index=N and/or url_contains='([^']*)'"), r"pass --entry N and/or --url-contains '\1'"),
    (re.compile(r"e\.g\. from_har\('([^']*)', url_contains='([^']*)'\)"), r"e.g. --har \1 --url-contains \2"),
    (re.compile(r"\burl_contains='([^']*)'"), r"--url-contains \1"),
    (re.compile(r"\bexpires=(\d+)"), r"--presign \1"),
    (re.compile(r"with body=\.\.\."), "with --body-file"),
    (re.compile(r"use version=1 or version=4"), "use --scheme OSS1 or --scheme OSS4"),
    (re.compile(r"use an aware UTC datetime, e\.g\. datetime\([^)]*\)"), "give a time zone, e.g. 2025-01-01T00:00:00Z"),
    (re.compile(r"capture one with ik\.capture\.from_curl / from_har / from_raw_http"),
     "pass it with --curl, --har or --raw"),
    (re.compile(r"pass scheme='http' or scheme='https' \(the default\)"), "write the full URL (http:// or https://)"),
    (re.compile(r"pass now= or the server response with its Date"), "pass --now or --response with its Date"),
    (re.compile(r"\bpass now="), "pass --now"),
    (re.compile(r"\bpass at="), "pass --at"),
    (re.compile(r"\bpass bucket="), "pass --bucket"),
    (re.compile(r"\bpass region="), "pass --region"),
    (re.compile(r"region='([^']*)'"), r"--region \1"),
    (re.compile(r"\bbucket='([^']*)'"), r"--bucket \1"),
    (re.compile(r"export (\S+)=… and (\S+)=… before starting Python"), r"set \1 and \2 in the environment"),
    (re.compile(r"before starting Python"), "in the environment"),
    (re.compile(r"use an aware UTC datetime"), "give a time zone, e.g. 2025-01-01T00:00:00Z"),
]


def cli_wording(text: str) -> str:
    """Library advice reworded for the command line (flags instead of Python arguments)."""
    for pattern, repl in _WORDING:
        text = pattern.sub(repl, text)
    return text
