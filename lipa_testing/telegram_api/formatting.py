"""Enough of Telegram's HTML, MarkdownV2 and Markdown parsers to reject what the real server
rejects in common cases (unescaped reserved characters, unsupported or unbalanced tags, unclosed
entities) and to compute the text a user sees (`_to_plain`).
"""

from __future__ import annotations

import re
from typing import Final

from lipa_testing.telegram_api.params import _ApiError, _byte_offset, _parse_error

_HTML_TAG: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*?)?)\s*(/?)>")
_HTML_ENTITY: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6}));")
_HTML_NAMED: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
        "tg-time",
    }
)
_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES: Final = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


def _html_to_plain(text: str) -> str:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "<":
            match = _HTML_TAG.match(text, i)
            offset = _byte_offset(text, i)
            if match is None:
                raise _parse_error(f'Unsupported start tag "" at byte offset {offset}')
            closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                    raise _parse_error(
                        f"Unmatched end tag at byte offset {offset}, expected {expected}, "
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                if name not in _HTML_TAGS:
                    raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
                if name == "span" and "tg-spoiler" not in attrs:
                    raise _parse_error('Tag "span" must have class "tg-spoiler"')
                stack.append((name, offset))
            i = match.end()
        elif char == "&":
            entity = _HTML_ENTITY.match(text, i)
            if entity is None:
                out.append("&")
                i += 1
                continue
            named, dec, hexa = entity.groups()
            if named:
                out.append(_HTML_NAMED[named])
            else:
                code = int(dec) if dec else int(hexa, 16)
                out.append(chr(code) if 0 < code <= 0x10FFFF else "\ufffd")
            i = entity.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out)


def _find_unescaped(text: str, needle: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def _unescape_md(text: str) -> str:
    return re.sub(r"\\([\x01-\x7e])", r"\1", text)


def _markdown_v2_to_plain(text: str) -> str:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        offset = _byte_offset(text, i)
        if char == "\\":
            if nxt and 1 <= ord(nxt) <= 126:
                out.append(nxt)
                i += 2
            else:
                out.append(char)
                i += 1
            continue
        if text.startswith("```", i):
            end = _find_unescaped(text, "```", i + 3)
            if end < 0:
                raise _parse_error(f"Can't find end of Pre entity at byte offset {offset}")
            body = text[i + 3 : end]
            first, sep, rest = body.partition("\n")
            if sep and first and re.fullmatch(r"[\w+#.-]+", first):
                body = rest
            out.append(_unescape_md(body))
            i = end + 3
            continue
        if char == "`":
            end = _find_unescaped(text, "`", i + 1)
            if end < 0:
                raise _parse_error(f"Can't find end of Code entity at byte offset {offset}")
            out.append(_unescape_md(text[i + 1 : end]))
            i = end + 1
            continue
        marker: str
        if char == "|" and nxt == "|":
            marker = "||"
        elif char == "_" and nxt == "_":
            marker = "__"
        elif char in "*_~":
            marker = char
        elif char == "[" or (char == "!" and nxt == "["):
            stack.append(("[", offset))
            i += 1 if char == "[" else 2
            continue
        elif char == "]" and stack and stack[-1][0] == "[":
            if nxt != "(":
                raise _parse_error(f"Can't find end of a URL at byte offset {offset}")
            close = _find_unescaped(text, ")", i + 2)
            if close < 0:
                raise _parse_error(f"Can't find end of a URL at byte offset {offset}")
            stack.pop()
            i = close + 1
            continue
        elif char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1
            continue
        elif char in _MDV2_RESERVED:
            raise _parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.append(char)
            i += 1
            continue
        if stack and stack[-1][0] == marker:
            stack.pop()
        elif any(open_marker == marker for open_marker, _ in stack):
            name, at = stack[-1]
            raise _parse_error(f"Can't find end of {_MDV2_NAMES[name]} entity at byte offset {at}")
        else:
            stack.append((marker, offset))
        i += len(marker)
    if stack:
        name, at = stack[-1]
        raise _parse_error(f"Can't find end of {_MDV2_NAMES[name]} entity at byte offset {at}")
    return "".join(out)


def _markdown_to_plain(text: str) -> str:
    """Telegram's legacy ``Markdown``: ``*bold*``, ``_italic_``, code, ``[text](url)``."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
            continue
        if char in "*_`" or char == "[":
            closer = "```" if text.startswith("```", i) else ("]" if char == "[" else char)
            end = text.find(closer, i + len(closer) if closer != "]" else i + 1)
            if end < 0:
                raise _parse_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            if char == "[":
                out.append(text[i + 1 : end])
                if text.startswith("(", end + 1):
                    close = text.find(")", end + 2)
                    if close < 0:
                        raise _parse_error(
                            "Can't find end of the entity starting at byte offset "
                            f"{_byte_offset(text, i)}"
                        )
                    i = close + 1
                else:
                    i = end + 1
                continue
            out.append(text[i + len(closer) : end])
            i = end + len(closer)
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _to_plain(text: str, parse_mode: str | None) -> str:
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return _html_to_plain(text)
    if mode == "markdownv2":
        return _markdown_v2_to_plain(text)
    if mode == "markdown":
        return _markdown_to_plain(text)
    raise _ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
