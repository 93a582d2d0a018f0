"""Image and mask inputs for upload and inpainting, normalised into one :class:`ImageSource`.

Accepted: a path (``str``/``Path``), an ``http(s)`` URL (downloaded with a size cap), a
``data:`` URI, raw bytes, a binary file object, a ``PIL.Image`` or a numpy array. The format is
detected from the content, never from the name. Files are streamed: the CRC32 (``zlib.crc32``)
and size are computed while reading in chunks, so a large file is never read whole into memory::

    >>> from imgx_kit.services.images import load_image
    >>> import numpy as np
    >>> src = load_image(np.zeros((4, 6, 3), np.uint8))
    >>> src.format, src.width, src.height, len(src.crc32_hex)
    ('png', 6, 4, 8)

Masks (``load_mask``) accept arrays, PIL images, paths and bytes (PNG or JPEG); they are checked
against the image size and read by the one mask rule of :mod:`imgx_kit.services.masks`.
"""
from __future__ import annotations

import base64
import binascii
import io
import os
import stat
import tempfile
import warnings
import weakref
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import numpy as np
from fastcrc import crc64 as _crc64
from PIL import Image, UnidentifiedImageError

from ..core.errors import ImageInputError
from ..core.redact import redact_url, secret_values
from .calls import CountingReader
from .log_masking import masking_logs

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_MAX_DOWNLOAD",
    "INPUT_KINDS",
    "ImageSource",
    "crc64",
    "load_image",
    "load_mask",
    "load_pil",
    "mask_png",
    "read_file_capped",
    "sniff_format",
    "valid_timeout",
]

DEFAULT_CHUNK = 1 << 20             # bytes per read
DEFAULT_MAX_DOWNLOAD = 100 << 20    # URL download cap
SPOOL_LIMIT = 8 << 20               # streams above this are spooled to a temporary file
INPUT_KINDS = "a path, an http(s) URL, a data: URI, bytes, a binary file object, a PIL image or a numpy array"
_TAIL = 1024


def sniff_format(head: bytes) -> str | None:
    """The image format from the first bytes (magic numbers), or ``None``.

        >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n...."), sniff_format(b"hello")
        ('png', None)
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "heic"
    return None


@dataclass(frozen=True, repr=False)
class ImageSource:
    """A normalised image input: content-detected ``format``, ``width``/``height``, ``size`` and
    ``crc32``, readable again and again (from memory or from its file, in chunks)."""

    name: str
    size: int
    crc32: int
    format: str
    width: int
    height: int
    data: bytes | None = field(default=None, compare=False)
    path: str | None = None
    chunk_size: int = DEFAULT_CHUNK
    _keep: Any = field(default=None, compare=False)       # owner of a temporary spool file

    @property
    def crc32_hex(self) -> str:
        """``%08x``: lower-case hex, zero-padded (what ImageX expects in ``Content-CRC32``)."""
        return f"{self.crc32 & 0xFFFFFFFF:08x}"

    @property
    def in_memory(self) -> bool:
        return self.data is not None

    def open(self):
        """A fresh binary stream positioned at the start."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")

    def reader(self, start: int = 0, length: int | None = None, stats: dict | None = None):
        """The body to send for ``[start, start+length)``: bytes when in memory, else a streaming
        reader that reads ``chunk_size`` at a time (``stats`` counts the reads)."""
        n = self.size - start if length is None else length
        if self.data is not None:
            return memoryview(self.data)[start:start + n] if (start or n != self.size) else self.data
        return CountingReader(self.open, start, n, self.chunk_size, stats)

    def chunks(self, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Iterate the bytes of ``[start, start+length)`` in ``chunk_size`` pieces."""
        n = self.size - start if length is None else length
        if self.data is not None:
            mv = memoryview(self.data)
            for i in range(start, start + n, self.chunk_size):
                yield bytes(mv[i:min(i + self.chunk_size, start + n)])
            return
        with self.open() as f:
            f.seek(start)
            left = n
            while left > 0:
                b = f.read(min(self.chunk_size, left))
                if not b:
                    raise ImageInputError(f"{self.name} shrank while it was being read",
                                          hint="do not modify the file during the upload")
                left -= len(b)
                yield b

    def crc64(self) -> int:
        """CRC-64 of the whole content as OSS computes it (``x-oss-hash-crc64ecma``), chunk by chunk."""
        crc = None
        for b in self.chunks():
            crc = _crc64.xz(b, initial=crc)
        return crc64(b"") if crc is None else crc

    def crc_of(self, start: int, length: int) -> int:
        """CRC32 of a byte range (for chunked-upload parts), computed chunk by chunk."""
        crc = 0
        for b in self.chunks(start, length):
            crc = zlib.crc32(b, crc)
        return crc & 0xFFFFFFFF

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        with self.open() as f:
            return f.read()

    def __repr__(self) -> str:
        where = "memory" if self.data is not None else "file"
        return (f"ImageSource({self.name}: {self.format} {self.width}x{self.height}, {self.size} bytes, "
                f"crc32 {self.crc32_hex}, {where})")

    def _repr_html_(self) -> str:
        import html
        return f"<code>{html.escape(repr(self))}</code>"


def crc64(data: bytes) -> int:
    """CRC-64/XZ (ECMA-182 polynomial, reflected), what OSS sends as ``x-oss-hash-crc64ecma``.

    >>> crc64(b"123456789")
    11051210869376104954
    """
    return _crc64.xz(data)


# ---- loading --------------------------------------------------------------------------------
def load_image(src: Any, *, chunk_size: int = DEFAULT_CHUNK, max_download: int = DEFAULT_MAX_DOWNLOAD,
               session: Any = None, timeout: float = 30.0) -> ImageSource:
    """Normalise any supported input into an :class:`ImageSource`; raises
    :class:`~imgx_kit.ImageInputError` saying what was wrong and what to pass instead."""
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1024:
        raise ImageInputError(f"chunk_size={chunk_size!r:.40} must be a whole number of bytes ≥ 1024",
                              hint="e.g. chunk_size=1 << 20 (1 MiB)")
    if not isinstance(max_download, int) or isinstance(max_download, bool) or max_download < 1:
        raise ImageInputError(f"max_download={max_download!r:.40} must be a whole number of bytes ≥ 1",
                              hint="e.g. max_download=100 << 20 (100 MiB)")
    if not valid_timeout(timeout):
        raise ImageInputError(f"timeout={timeout!r:.40} is not a timeout in seconds",
                              hint="seconds > 0, None (wait forever), or a (connect, read) pair, e.g. (10, 120)")
    if session is not None and not callable(getattr(session, "get", None)):
        raise ImageInputError(f"session must be a requests.Session, not {type(session).__name__}",
                              hint="leave it out, or pass requests.Session()")
    if isinstance(src, ImageSource):
        return src
    if isinstance(src, os.PathLike):
        return _from_path(Path(src), chunk_size)
    if isinstance(src, str):
        s = src.strip()
        low = s[:8].lower()
        if low.startswith(("http://", "https://")):
            return _from_url(s, chunk_size, max_download, session, timeout)
        if low.startswith("data:"):
            return _from_bytes(_data_uri(s), "data URI", chunk_size)
        if not s:
            raise ImageInputError("the image path is empty", hint=f"pass {INPUT_KINDS}")
        return _from_path(_expand(src), chunk_size)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(src), "bytes", chunk_size)
    if isinstance(src, Image.Image):
        return _from_bytes(_encode_pil(src), "PIL image", chunk_size)
    if isinstance(src, np.ndarray):
        return _from_bytes(_encode_pil(_array_to_pil(src, "image")), "numpy array", chunk_size)
    if hasattr(src, "read"):
        return _from_stream(src, chunk_size, max_download)
    raise ImageInputError(f"cannot use a {type(src).__name__} as an image", hint=f"pass {INPUT_KINDS}")


def valid_timeout(timeout: Any) -> bool:
    """Whether ``requests`` takes ``timeout``: seconds in (0, 1 day], ``None`` (no limit), or a
    ``(connect, read)`` tuple of those.

        >>> valid_timeout(30), valid_timeout((10, None)), valid_timeout("30"), valid_timeout(0)
        (True, True, False, False)
    """
    parts = timeout if isinstance(timeout, tuple) and len(timeout) == 2 else (timeout,)
    return all(t is None or (isinstance(t, (int, float)) and not isinstance(t, bool) and 0 < t <= 86400)
               for t in parts)


def _expand(path: str) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded."""
    try:
        return Path(path).expanduser()
    except RuntimeError:                       # ~user of an unknown user, or no home directory
        raise ImageInputError(f"{path[:80]!r} starts with a home directory that does not exist",
                              hint="write the full path, or check the user name after '~'") from None


def _from_path(p: Path, chunk_size: int) -> ImageSource:
    name = p.name or str(p)
    shown = str(p) if len(str(p)) <= 200 else str(p)[:100] + "…" + str(p)[-60:]
    try:
        if not p.exists():
            raise ImageInputError(f"no such file: {shown}",
                                  hint="check the path (relative paths start from the current directory)")
        if p.is_dir():
            raise ImageInputError(f"{shown} is a directory, not an image file", hint="pass the path of one image file")
        if not p.is_file():
            raise ImageInputError(f"{shown} is not a regular file (a device, pipe or socket)",
                                  hint="pass the path of an image file, or its bytes")
    except OSError as e:                       # a name too long for the file system, a loop of links …
        raise ImageInputError(f"{shown} cannot be used as a path: {e.strerror or e}",
                              hint="check the path; a very long text is not a file name") from None
    try:
        size, crc, head, tail = 0, 0, b"", b""
        with open(p, "rb") as f:
            while True:
                b = f.read(chunk_size)
                if not b:
                    break
                size += len(b)                 # what was read, not st_size (0 for /proc files)
                crc = zlib.crc32(b, crc)
                if len(head) < 32:
                    head += b[:32 - len(head)]
                tail = (tail + b)[-_TAIL:]
    except PermissionError:
        raise ImageInputError(f"{shown} cannot be read (permission denied)",
                              hint="check the file's permissions") from None
    except OSError as e:
        raise ImageInputError(f"{shown} cannot be read: {e.strerror or e}",
                              hint="check that the file is complete and readable") from None
    fmt, w, h = _inspect(name, head, tail, size, lambda: open(p, "rb"))  # noqa: SIM115 — _inspect opens it in `with`
    return ImageSource(name, size, crc & 0xFFFFFFFF, fmt, w, h, None, str(p), chunk_size)


def read_file_capped(path: Any, cap: int, *, what: str = "image file") -> bytes:
    """The bytes of the regular file ``path``, at most ``cap + 1`` of them (so the caller can say
    "over the limit" without reading a huge file whole). Pipes, devices and directories are
    refused before they are opened (opening a FIFO would block).

        >>> read_file_capped("/dev/zero", 10)
        Traceback (most recent call last):
        ...
        imgx_kit.core.errors.ImageInputError: /dev/zero is not a regular file (a device, pipe or socket) — pass ...
    """
    try:
        shown = os.fspath(path)
    except TypeError:
        raise ImageInputError(f"{what} path must be a str or Path, not {type(path).__name__}") from None
    shown = str(shown)[:200]
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise ImageInputError(f"{shown} is a directory, not an {what}", hint="pass the path of one image file")
        if not stat.S_ISREG(st.st_mode):
            raise ImageInputError(f"{shown} is not a regular file (a device, pipe or socket)",
                                  hint="pass the path of an image file, or its bytes")
        with open(path, "rb") as f:
            return f.read(cap + 1)
    except ImageInputError:
        raise
    except FileNotFoundError:
        raise ImageInputError(f"no such file: {shown}", hint="check the path") from None
    except PermissionError:
        raise ImageInputError(f"{shown} cannot be read (permission denied)",
                              hint="check the file's permissions") from None
    except (OSError, ValueError) as e:          # a name too long, a NUL in the name, a loop of links …
        raise ImageInputError(f"cannot read {what} {shown!r}: {getattr(e, 'strerror', None) or e}",
                              hint="check the path") from None


def _from_bytes(data: bytes, name: str, chunk_size: int) -> ImageSource:
    fmt, w, h = _inspect(name, data[:32], data[-_TAIL:], len(data), lambda: io.BytesIO(data))
    return ImageSource(name, len(data), zlib.crc32(data) & 0xFFFFFFFF, fmt, w, h, data, None, chunk_size)


class _Spool:
    """Collect a stream: in memory up to SPOOL_LIMIT, then in a temporary file (removed when the
    ImageSource that owns it is garbage-collected)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.file: Any = None
        self.path: str | None = None
        self.crc = 0
        self.size = 0
        self.head = b""
        self.tail = b""

    def write(self, b: bytes) -> None:
        self.crc = zlib.crc32(b, self.crc)
        self.size += len(b)
        if len(self.head) < 32:
            self.head += b[:32 - len(self.head)]
        self.tail = (self.tail + b)[-_TAIL:]
        if self.file is None and len(self.buf) + len(b) > SPOOL_LIMIT:
            fd, self.path = tempfile.mkstemp(prefix="imgx-upload-")
            self.file = os.fdopen(fd, "wb")
            self.file.write(self.buf)
            self.buf = bytearray()
            weakref.finalize(self, _unlink, self.path)
        if self.file is not None:
            self.file.write(b)
        else:
            self.buf += b

    def discard(self) -> None:
        """Close and remove the temporary file (on every failure path)."""
        if self.file is not None:
            self.file.close()
        if self.path is not None:
            _unlink(self.path)
        self.buf = bytearray()

    def finish(self, name: str, chunk_size: int) -> ImageSource:
        if self.file is None:
            return _from_bytes(bytes(self.buf), name, chunk_size)
        self.file.close()
        path = self.path
        assert path is not None
        # _inspect opens the file in a `with` block
        fmt, w, h = _inspect(name, self.head, self.tail, self.size, lambda: open(path, "rb"))  # noqa: SIM115
        return ImageSource(name, self.size, self.crc & 0xFFFFFFFF, fmt, w, h, None, path, chunk_size, _keep=self)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _from_stream(f: Any, chunk_size: int, cap: int = DEFAULT_MAX_DOWNLOAD) -> ImageSource:
    """Read a stream to its end, at most ``cap`` bytes (``max_download``): a stream without an end
    (``/dev/zero``, a socket) fails with a clear error instead of filling the disk."""
    name = Path(str(getattr(f, "name", "") or "file object")).name or "file object"
    mode = getattr(f, "mode", "rb")
    if isinstance(f, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode and mode):
        raise ImageInputError(f"{name} is open in text mode", hint="open the file with open(path, 'rb')")
    sp = _Spool()
    try:
        while True:
            try:
                b = f.read(chunk_size)
            except (OSError, ValueError) as e:
                raise ImageInputError(f"reading {name} failed: {e}",
                                      hint="pass an open, readable binary file") from None
            if not b:
                break
            if isinstance(b, str):
                raise ImageInputError(f"{name} returned text, not bytes", hint="open the file with open(path, 'rb')")
            if not isinstance(b, (bytes, bytearray, memoryview)):
                raise ImageInputError(f"{name}.read() returned {type(b).__name__}, not bytes",
                                      hint="pass an open binary file, or the image's bytes")
            sp.write(bytes(b))
            if sp.size > cap:
                raise ImageInputError(f"{name} gave more than {cap} bytes and did not end",
                                      hint="pass a file of one image (or raise max_download=…)")
        return sp.finish(name, chunk_size)
    except BaseException:
        sp.discard()                       # the temporary file goes now, not when collected
        raise


def _from_url(url: str, chunk_size: int, cap: int, session: Any, timeout: float) -> ImageSource:
    import requests
    shown = redact_url(url)
    sess = session or requests
    try:
        with masking_logs(secret_values((), url)):      # a presigned URL's token stays out of urllib3's log
            resp = sess.get(url, stream=True, timeout=timeout)
    except requests.RequestException as e:
        raise ImageInputError(f"downloading {shown} failed: {type(e).__name__}",
                              hint="check the URL and the network") from None
    with resp:
        if resp.status_code != 200:
            raise ImageInputError(f"downloading {shown} answered HTTP {resp.status_code}",
                                  hint="check that the URL points at an image that exists")
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise ImageInputError(f"{shown} is {int(declared)} bytes, over the download cap of {cap} bytes",
                                  hint="raise max_download=… or download the file yourself")
        sp = _Spool()
        try:
            for b in resp.iter_content(chunk_size):
                sp.write(b)
                if sp.size > cap:
                    raise ImageInputError(f"{shown} is over the download cap of {cap} bytes",
                                          hint="raise max_download=… or download the file yourself")
        except requests.RequestException as e:
            sp.discard()
            raise ImageInputError(f"downloading {shown} broke off: {type(e).__name__}") from None
        except BaseException:
            sp.discard()
            raise
    name = Path(url.split("?", 1)[0]).name or "download"
    try:
        return sp.finish(name, chunk_size)
    except BaseException:
        sp.discard()
        raise


def _data_uri(text: str) -> bytes:
    head, sep, payload = text.partition(",")
    if not sep:
        raise ImageInputError("the data URI has no ',' before its data",
                              hint="use data:image/png;base64,<base64 data>")
    if head.lower().endswith(";base64"):
        try:
            data = base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ImageInputError("the data URI's base64 does not decode",
                                  hint="check that the data was not cut or changed") from None
    else:
        try:
            data = unquote_to_bytes(payload)
        except UnicodeEncodeError as e:       # half of a character: no bytes to decode
            raise ImageInputError(f"the data URI holds a lone surrogate (U+{ord(e.object[e.start]):04X}) "
                                  f"at character {len(head) + 1 + e.start}",
                                  hint="the text was cut in the middle of a character; use a base64 data URI") from None
    if not data:
        raise ImageInputError("the data URI holds no data")
    return data


def _inspect(name: str, head: bytes, tail: bytes, size: int, opener: Callable[[], Any]) -> tuple[str, int, int]:
    """Detect the format from content, read the dimensions from the header, and check that the
    file is complete (PNG ends in IEND, JPEG in EOI, GIF in its trailer)."""
    if size == 0:
        raise ImageInputError(f"{name} is empty (0 bytes)", hint="pass an image file with content")
    fmt = sniff_format(head)
    if fmt is None:
        shown = head[:8].hex(" ")
        raise ImageInputError(f"{name} is not an image (its first bytes are {shown})",
                              hint="pass a PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC or AVIF file")
    try:
        with opener() as f, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(f) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        raise ImageInputError(f"{name} is too many pixels to open safely",
                              hint="resize the image first") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        if fmt in ("heic", "avif"):
            w, h = 0, 0
            return fmt, w, h
        raise ImageInputError(f"{name} looks like {fmt.upper()} but its header does not decode ({type(e).__name__})",
                              hint="the file is truncated or corrupt; export it again") from None
    if w <= 0 or h <= 0:
        raise ImageInputError(f"{name} is a {w}x{h} image", hint="an image needs at least one pixel")
    if fmt == "png" and b"IEND" not in tail[-16:]:
        raise ImageInputError(f"{name} is a truncated PNG (no IEND chunk at the end)",
                              hint="the file was cut off; download or export it again")
    if fmt == "jpeg" and b"\xff\xd9" not in tail:
        raise ImageInputError(f"{name} is a truncated JPEG (no end-of-image marker)",
                              hint="the file was cut off; download or export it again")
    if fmt == "gif" and not tail.rstrip(b"\x00").endswith(b";"):
        raise ImageInputError(f"{name} is a truncated GIF (no trailer)",
                              hint="the file was cut off; download or export it again")
    return fmt, int(w), int(h)


def _encode_pil(im: Image.Image) -> bytes:
    if im.width <= 0 or im.height <= 0:
        raise ImageInputError(f"the PIL image is {im.width}x{im.height}", hint="an image needs at least one pixel")
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            _pngable(im).save(buf, "PNG", compress_level=1)
    except (OSError, SyntaxError, EOFError, ValueError) as e:     # a truncated file behind Image.open
        raise ImageInputError(f"the PIL image does not decode ({type(e).__name__}: {str(e)[:80]})",
                              hint="the file it was opened from is truncated or corrupt; export it again") from None
    return buf.getvalue()


_PREMULTIPLIED = {"La": "LA", "RGBa": "RGBA", "PA": "RGBA"}


def _pngable(im: Image.Image) -> Image.Image:
    """``im`` in a mode PNG stores, with the same pixel values (never clipped or guessed)."""
    mode = im.mode
    if mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        return im
    if mode in _PREMULTIPLIED:
        return im.convert(_PREMULTIPLIED[mode])
    if mode.startswith("I"):                   # 32-bit or other-endian 16-bit integers: 16-bit PNG
        a = np.asarray(im)
        lo, hi = int(a.min()), int(a.max())
        if lo >= 0 and hi <= 0xFFFF:
            return Image.fromarray(a.astype(np.uint16))
        raise ImageInputError(f"the PIL image (mode {mode}) has values {lo}…{hi}, which a PNG cannot hold",
                              hint="scale it to 0…65535 (16 bit) or 0…255 (8 bit) first")
    if mode in ("F", "LAB"):
        raise ImageInputError(f"a PIL image in mode {mode} has no PNG form, and converting it would "
                              "change its values", hint="convert it to 'RGB' or 'L' yourself first")
    try:
        return im.convert("RGB")               # CMYK, YCbCr, HSV, RGBX …
    except ValueError:
        raise ImageInputError(f"a PIL image in mode {mode} cannot be converted to RGB",
                              hint="convert it to 'RGB' or 'L' yourself first") from None


def _array_to_pil(a: np.ndarray, what: str) -> Image.Image:
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ImageInputError(f"the {what} array has shape {a.shape}",
                              hint="use H×W (gray), H×W×3 (RGB) or H×W×4 (RGBA)")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ImageInputError(f"the {what} array is {a.shape[1]}x{a.shape[0]} (empty)",
                              hint="an image needs at least one pixel")
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype != np.uint8:
        raise ImageInputError(f"the {what} array has dtype {a.dtype}, not uint8",
                              hint="convert it, e.g. (a * 255).clip(0, 255).astype('uint8')")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    mode = {2: "L"}.get(a.ndim) or ("RGB" if a.shape[2] == 3 else "RGBA")
    return Image.fromarray(np.ascontiguousarray(a), mode)


# ---- decoded images and masks (inpainting) ------------------------------------------------------
def load_pil(src: Any, **kw) -> tuple[Image.Image, ImageSource]:
    """Load and fully decode an image (for inpainting); truncated data raise ImageInputError."""
    if isinstance(src, Image.Image):
        if src.width <= 0 or src.height <= 0:
            raise ImageInputError(f"the PIL image is {src.width}x{src.height}",
                                  hint="an image needs at least one pixel")
        source = load_image(src, **kw)
        return _pngable(src), source
    source = load_image(src, **kw)
    try:
        with source.open() as f, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(f)
            im.load()
    except Image.DecompressionBombError:
        raise ImageInputError(f"{source.name} is too many pixels to decode safely", hint="resize it first") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageInputError(f"{source.name} does not decode ({type(e).__name__}: {str(e)[:80]})",
                              hint="the file is truncated or corrupt; export it again") from None
    return im, source


def load_mask(mask: Any, size: tuple[int, int]) -> np.ndarray:
    """A ``bool`` H×W mask (True = repaint) from an array, PIL image, path, bytes or data URI
    (PNG or JPEG), checked against the image ``size`` (width, height) and read by the one mask
    rule :func:`~imgx_kit.services.masks.binary_mask` (grey or R=G=B within JPEG tolerance,
    binarised at half scale)."""
    from .masks import binary_mask

    if not (isinstance(size, (tuple, list)) and len(size) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise ImageInputError(f"size={size!r:.40} is not a (width, height) pair of whole numbers",
                              hint="pass the image's size, e.g. load_mask(mask, image.size)")
    w, h = size
    if isinstance(mask, np.ndarray):
        if (mask.ndim == 3 and mask.shape[2] in (1, 3, 4)) or mask.ndim == 2:
            got = (mask.shape[1], mask.shape[0])
        else:
            raise ImageInputError(f"the mask array has shape {mask.shape}", hint="use an H×W array (bool or 0/255)")
    else:
        if isinstance(mask, Image.Image):
            im = mask
        elif isinstance(mask, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(mask, "read"):
            im, _ = load_pil(mask)
        else:
            raise ImageInputError(f"cannot use a {type(mask).__name__} as a mask",
                                  hint="pass a bool or 0/255 numpy array, a PIL image, a path or PNG bytes")
        if im.width <= 0 or im.height <= 0:
            raise ImageInputError(f"the mask is {im.width}x{im.height}", hint="a mask needs at least one pixel")
        got, mask = im.size, im
    if got != (w, h):
        raise ImageInputError(f"the mask is {got[0]}x{got[1]} but the image is {w}x{h}",
                              hint="draw the mask on the same image, or resize it with nearest-neighbour")
    return binary_mask(mask, error=ImageInputError)


def mask_png(mask: np.ndarray) -> bytes:
    """An 8-bit single-channel PNG (0 / 255), no ICC profile, as the service wants it."""
    buf = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255, "L").save(buf, "PNG", compress_level=1)
    return buf.getvalue()
