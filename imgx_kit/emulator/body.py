"""Request bodies read in bounded pieces, counting what really arrived, spooled to disk beyond
a small size — so no declared length or chunk size makes the emulator allocate it up front, and
a 512 MiB upload costs a few MiB of memory.

    >>> import io
    >>> b = read_body(io.BytesIO(b"hello"), length=5, chunked=False, cap=10)
    >>> b.size, b.getvalue(), b.crc32() == 0x3610A686
    (5, b'hello', True)
    >>> r = ChunkedReader(io.BytesIO(b"3\\r\\nabc\\r\\n0\\r\\n\\r\\n"))
    >>> r.read(100), r.read(100)
    (b'abc', b'')
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO, Protocol

__all__ = [
    "EMPTY",
    "PIECE",
    "SPOOL_LIMIT",
    "BadFraming",
    "Body",
    "ChunkedReader",
    "ClientGone",
    "TooLarge",
    "read_body",
]

PIECE = 64 << 10            # bytes read from the socket at a time
SPOOL_LIMIT = 1 << 20       # bodies above this size go to a temporary file
_LINE_LIMIT = 1024          # a chunk-size line or trailer line longer than this is bad framing
_TRAILER_LIMIT = 64


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class BadFraming(Exception):
    """The body's framing (Content-Length, chunked encoding) is broken; the text says how."""


class TooLarge(Exception):
    """The body is larger than the route takes (declared, or found while reading chunks)."""


class ClientGone(Exception):
    """The client closed the connection before the body was complete."""


class ChunkedReader:
    """``Transfer-Encoding: chunked`` decoded from ``stream`` in pieces of at most :data:`PIECE`
    bytes: a chunk declaring 10 GiB is read as it arrives, never allocated; an early end raises
    :class:`ClientGone`, a broken size line or terminator :class:`BadFraming`."""

    def __init__(self, stream: _Readable) -> None:
        self._s = stream
        self._left = 0              # bytes left in the current chunk
        self._done = False

    def _line(self) -> bytes:
        out = bytearray()
        while not out.endswith(b"\r\n"):
            c = self._s.read(1)
            if not c:
                raise BadFraming("the chunked body ended inside its framing")
            out += c
            if len(out) > _LINE_LIMIT:
                raise BadFraming(f"a chunk-size line is longer than {_LINE_LIMIT} bytes")
        return bytes(out[:-2])

    def _next_chunk(self) -> None:
        line = self._line().split(b";", 1)[0].strip()
        if not line or not all(c in b"0123456789abcdefABCDEF" for c in line) or len(line) > 16:
            raise BadFraming(f"the chunk size {line[:20]!r} is not hexadecimal")
        self._left = int(line, 16)
        if self._left == 0:
            for _ in range(_TRAILER_LIMIT):     # trailers, up to the blank line
                if self._line() == b"":
                    self._done = True
                    return
            raise BadFraming(f"more than {_TRAILER_LIMIT} trailer lines")

    def read(self, n: int = PIECE) -> bytes:
        """Up to ``n`` (at most :data:`PIECE`) bytes of body; ``b""`` at the end."""
        n = PIECE if n is None or n < 0 else min(n, PIECE)
        while not self._done and self._left == 0:
            self._next_chunk()
        if self._done or n == 0:
            return b""
        data = self._s.read(min(n, self._left))
        if not data:
            raise BadFraming(f"the chunked body ended with {self._left} bytes of a chunk unsent")
        self._left -= len(data)
        if self._left == 0 and self._s.read(2) != b"\r\n":
            raise BadFraming("a chunk is not followed by CRLF")
        return data


@dataclass(eq=False)
class Body:
    """A received body: in memory up to :data:`SPOOL_LIMIT`, else a temporary file (deleted with
    the object). :meth:`getvalue` loads it (for signed routes, whose caps are small)."""

    size: int
    _mem: bytes | None
    _file: IO[bytes] | None
    _crc: int
    _md5: str

    def getvalue(self) -> bytes:
        if self._mem is not None:
            return self._mem
        assert self._file is not None
        self._file.seek(0)
        return self._file.read()

    def crc32(self) -> int:
        """CRC-32 of the body (computed while it arrived)."""
        return self._crc

    def md5(self) -> str:
        return self._md5

    def pieces(self) -> Iterator[bytes]:
        if self._mem is not None:
            yield self._mem
            return
        assert self._file is not None
        self._file.seek(0)
        while True:
            b = self._file.read(PIECE)
            if not b:
                return
            yield b

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the body to ``path`` (atomically: a temporary name, then rename)."""
        tmp = f"{os.fspath(path)}.part"
        with open(tmp, "wb") as f:
            if self._mem is not None:
                f.write(self._mem)
            else:
                assert self._file is not None
                self._file.seek(0)
                shutil.copyfileobj(self._file, f, PIECE)
        os.replace(tmp, path)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


EMPTY = Body(0, b"", None, 0, hashlib.md5(b"").hexdigest())


def read_body(stream: _Readable | BinaryIO, *, length: int | None, chunked: bool, cap: int,
              spool_dir: str | None = None) -> Body:
    """Read a body framed by ``length`` (Content-Length) or ``chunked``, at most ``cap`` bytes.

    Raises :class:`TooLarge` (declared or found over ``cap``; nothing more is read),
    :class:`ClientGone` (ended early) or :class:`BadFraming`."""
    if not chunked and not length:
        return EMPTY
    if length is not None and not chunked and length > cap:
        raise TooLarge(f"the declared body of {length} bytes is over {cap}")
    src: _Readable = ChunkedReader(stream) if chunked else stream
    left = length if not chunked else None
    mem = bytearray()
    spool: IO[bytes] | None = None
    crc, md5, size = 0, hashlib.md5(), 0
    try:
        while left is None or left > 0:
            want = PIECE if left is None else min(PIECE, left)
            try:
                piece = src.read(want)
            except (ConnectionError, TimeoutError, OSError) as e:
                raise ClientGone(f"the client went away while sending the body ({type(e).__name__})") from None
            if not piece:
                if left is not None:
                    raise BadFraming(f"the body ended after {size} of its {length} bytes (Content-Length)")
                break
            size += len(piece)
            if size > cap:
                raise TooLarge(f"the chunked body is over {cap} bytes")
            crc = zlib.crc32(piece, crc)
            md5.update(piece)
            if spool is None and len(mem) + len(piece) > SPOOL_LIMIT:
                spool = tempfile.TemporaryFile(prefix="imgx-body-", dir=spool_dir)  # noqa: SIM115 - kept open: the Body owns it
                spool.write(mem)
                mem = bytearray()
            if spool is not None:
                spool.write(piece)
            else:
                mem += piece
            if left is not None:
                left -= len(piece)
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    return Body(size, None if spool is not None else bytes(mem), spool, crc & 0xFFFFFFFF, md5.hexdigest())
