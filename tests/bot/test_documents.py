"""Documents within Telegram's upload limit: sent as they are, zipped, or refused with a reason."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile

from bot.documents import Document, TooLarge, fit_document, size_of

CSV = b"payment_id,order,amount\r\n" + b"".join(
    f"{n},WW-{n:05d},{n % 5000}\r\n".encode() for n in range(20_000)
)


def unzipped(document: Document) -> dict[str, bytes]:
    data = document.data if isinstance(document.data, bytes) else document.data.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_file_within_the_limit_goes_as_it_is() -> None:
    fitted = fit_document(CSV, "payments.csv", "text/csv", limit=len(CSV))

    assert fitted == Document(CSV, "payments.csv", "text/csv", len(CSV))


def test_a_file_over_the_limit_goes_zipped_whole() -> None:
    limit = len(CSV) // 2
    fitted = fit_document(CSV, "payments-2026-01-01-2026-12-31.csv", "text/csv", limit=limit)

    assert isinstance(fitted, Document)
    assert fitted.filename == "payments-2026-01-01-2026-12-31.zip"
    assert fitted.mime_type == "application/zip"
    assert fitted.size <= limit
    assert fitted.size == size_of(fitted.data)
    assert unzipped(fitted) == {"payments-2026-01-01-2026-12-31.csv": CSV}


def test_a_file_on_disk_is_zipped_from_its_start_and_left_open_for_its_owner() -> None:
    with tempfile.TemporaryFile() as file:
        file.write(CSV)
        file.seek(0)

        fitted = fit_document(file, "export.csv", "text/csv", limit=len(CSV) - 1)

        assert isinstance(fitted, Document)
        assert not file.closed
        assert unzipped(fitted) == {"export.csv": CSV}


def test_a_file_over_the_limit_even_zipped_is_not_sent() -> None:
    noise = os.urandom(300_000)  # random bytes do not compress

    fitted = fit_document(noise, "export.csv", "text/csv", limit=200_000)

    assert isinstance(fitted, TooLarge)
    assert fitted.size > 200_000
    assert fitted.limit == 200_000
