"""What ImageX stores (moto's ``models.py`` data): the upload sessions ``ApplyImageUpload``
issues and their slots (one StoreUri each, with the ``Auth`` the upload host checks).

    >>> UploadSlot("tos-cn-i-sid/k", "SpaceKey/…", "U", "S").uploaded
    False
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["UploadSession", "UploadSlot"]


@dataclass
class UploadSlot:
    """One StoreUri issued by ApplyImageUpload, with its ``Auth`` token and what arrived: the
    bytes live in a file (``path``), never in memory; ``data`` reads them back."""

    store_uri: str
    auth: str
    upload_id: str
    session_key: str
    expected_size: int | None = None
    path: Path | None = None
    crc: str | None = None
    size: int = 0
    parts: dict[str, dict[int, tuple[Path, str]]] = field(default_factory=dict)  # uploadID -> parts

    @property
    def data(self) -> bytes | None:
        """The uploaded bytes (read from disk), ``None`` before the upload."""
        return None if self.path is None else self.path.read_bytes()

    @property
    def uploaded(self) -> bool:
        return self.path is not None


@dataclass
class UploadSession:
    key: str
    access_key: str
    service_id: str
    store_uris: list[str]
    expires_at: datetime
    committed: bool = False
    committed_uris: set[str] = field(default_factory=set)    # what a commit confirmed (UriStatus 2000)
