"""Files: ``sendPhoto`` and ``sendDocument`` (uploads, resent ``file_id``s and URLs),
``getFile``, and the stored files the download route serves.
"""

from __future__ import annotations

from typing import Any, Final

from lipa_testing.telegram_api.messages import _Messages
from lipa_testing.telegram_api.params import _ApiError, _Params
from lipa_testing.telegram_api.records import JSONDict
from lipa_testing.telegram_api.state import _UploadedFile

_MAX_CAPTION: Final = 1024


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None


class _Files(_Messages):
    """Sending photos and documents, and the files the bot uploaded."""

    def _new_file_ids(self, kind: str) -> tuple[str, str]:
        n = next(self._file_ids)
        return f"{kind}-{self.bot_id}-{n:08d}-fake", f"U{n:08d}"

    async def _upload(
        self, params: _Params, field_name: str
    ) -> tuple[bytes | None, str | None, str | None, str | None]:
        """Return (bytes, filename, mime type, file_ref) of the file sent as ``field_name``."""
        upload = params.files.get(field_name)
        ref = params.get_str(field_name)
        if upload is None and ref and ref.startswith("attach://"):
            upload = params.files.get(ref.removeprefix("attach://"))
        if upload is not None:
            return upload.file.read(), upload.filename, upload.content_type, None
        if not ref:
            raise _ApiError(400, f"Bad Request: there is no {field_name} in the request")
        known = self._files.get(ref)
        if known is not None:
            return known.data, None, known.mime_type, ref
        if not ref.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return None, None, None, ref

    def _store_file(
        self,
        data: bytes | None,
        kind: str,
        mime: str | None,
        filename: str | None,
        ref: str | None,
    ) -> _UploadedFile:
        """Store an upload (a resent ``file_id`` keeps its identity, as on Telegram)."""
        if ref is not None and ref in self._files:
            return self._files[ref]
        file_id, unique = self._new_file_ids(kind)
        extension = "jpg" if kind == "photo" else "bin"
        if kind != "photo" and filename and "." in filename:
            extension = filename.rsplit(".", 1)[1]
        stored = _UploadedFile(
            file_id, unique, data or b"", f"{kind}s/file_{unique}.{extension}", mime
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _caption(self, params: _Params) -> tuple[str | None, str | None]:
        caption = params.get_str("caption") or None
        plain = self._formatted(
            caption, params.get_str("parse_mode"), limit=_MAX_CAPTION, what="caption"
        )
        return caption, plain

    async def _send_photo(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        data, filename, mime, ref = await self._upload(params, "photo")
        caption, plain = self._caption(params)
        markup = self._reply_markup(params)
        self._check_rate_limits("sendPhoto", chat_id)
        stored = self._store_file(data, "photo", mime or "image/jpeg", filename, ref)
        width, height = _png_size(data or b"") or (800, 600)
        content: JSONDict = {
            "photo": [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(stored.data),
                }
            ]
        }
        if plain is not None:
            content["caption"] = plain
        message = self._bot_message(chat_id, content, markup)
        self._apply_reply_keyboard(chat_id, markup)
        self._record(
            "sendPhoto", chat_id, message["message_id"], params, caption=caption, plain=plain,
            markup=markup, file=data, filename=filename, mime_type=mime, file_ref=ref,
        )  # fmt: skip
        return message

    async def _send_document(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        data, filename, mime, ref = await self._upload(params, "document")
        caption, plain = self._caption(params)
        markup = self._reply_markup(params)
        self._check_rate_limits("sendDocument", chat_id)
        stored = self._store_file(
            data, "document", mime or "application/octet-stream", filename, ref
        )
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "mime_type": stored.mime_type,
        }
        if filename:
            document["file_name"] = filename
        content: JSONDict = {"document": document}
        if plain is not None:
            content["caption"] = plain
        message = self._bot_message(chat_id, content, markup)
        self._apply_reply_keyboard(chat_id, markup)
        self._record(
            "sendDocument", chat_id, message["message_id"], params, caption=caption, plain=plain,
            markup=markup, file=data, filename=filename, mime_type=mime, file_ref=ref,
        )  # fmt: skip
        return message

    async def _get_file(self, params: _Params) -> Any:
        stored = self._files.get(params.get_str("file_id") or "")
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }
