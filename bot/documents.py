"""Documents within Telegram's upload limit: a file too large to send is sent zipped instead.

The Bot API takes documents of at most 50 MB (``api.telegram.org``; a self-hosted Bot API
server takes up to 2,000 MB, hence ``TELEGRAM_UPLOAD_LIMIT_MB``). A year's ``/export`` of a
large business is over 100 MB of CSV, which Telegram would refuse; an export compresses
about sixfold (6.5 times on 50,000 rows), so the file goes as a ``.zip`` holding it (opened by
every phone and computer) when it is over the limit. A file still over the limit zipped is
not sent: the caller says so (export fewer days at a time) rather than letting Telegram
refuse it.

Zipping reads the file a chunk at a time into a temporary file that spills to disk, so a
large export is never held in memory; it runs in a worker thread (zlib releases the GIL).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Final

MEGABYTE: Final = 1024 * 1024
# api.telegram.org's limit for a document a bot sends.
UPLOAD_LIMIT_BYTES: Final = 50 * MEGABYTE
# A zip that stays under this is kept in memory; a larger one goes to a temporary file.
_IN_MEMORY_BYTES: Final = 4 * MEGABYTE
_CHUNK: Final = MEGABYTE


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send: its bytes (or an open file at its start), name, type and size."""

    data: bytes | IO[bytes]
    filename: str
    mime_type: str
    size: int


@dataclass(frozen=True, slots=True)
class TooLarge:
    """A file over the limit even zipped: ``size`` is its zipped size in bytes."""

    size: int
    limit: int


def size_of(data: bytes | IO[bytes]) -> int:
    """The size of ``data`` in bytes; an open file is left at its start."""
    if isinstance(data, bytes):
        return len(data)
    data.seek(0, 2)
    size = data.tell()
    data.seek(0)
    return size


def fit_document(
    data: bytes | IO[bytes], filename: str, mime_type: str, *, limit: int = UPLOAD_LIMIT_BYTES
) -> Document | TooLarge:
    """``data`` as it is when within ``limit``; otherwise zipped, or :class:`TooLarge`.

    Blocking (it reads and compresses the whole file): call it in a worker thread. A zipped
    document is a new file; ``data`` is left open for its owner to close.
    """
    size = size_of(data)
    if size <= limit:
        return Document(data, filename, mime_type, size)
    zipped: IO[bytes] = tempfile.SpooledTemporaryFile(_IN_MEMORY_BYTES)  # noqa: SIM115 - returned
    try:
        with (
            zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            archive.open(filename, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as member,
        ):
            if isinstance(data, bytes):
                member.write(data)
            else:
                shutil.copyfileobj(data, member, _CHUNK)
        zipped_size = size_of(zipped)
    except BaseException:
        zipped.close()
        raise
    if zipped_size > limit:
        zipped.close()
        return TooLarge(zipped_size, limit)
    name = str(PurePosixPath(filename).with_suffix(".zip"))
    return Document(zipped, name, "application/zip", zipped_size)
