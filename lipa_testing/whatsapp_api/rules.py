"""WhatsApp's rules for a send, as the fake checks them: `limit_violations` lists every way a
body breaks them (lengths and counts of buttons, list rows and texts; approved templates in
approved languages; template parameters without line breaks, tabs or runs of spaces).
"""

from __future__ import annotations

import re
from typing import Any

_BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")


def limit_violations(body: Any, templates: dict[str, frozenset[str]]) -> list[str]:
    """Every way ``body`` breaks WhatsApp's rules for a send (empty: it is a valid send)."""
    if not isinstance(body, dict):
        return ["the body is not an object"]
    problems: list[str] = []
    if body.get("messaging_product") != "whatsapp":
        problems.append("messaging_product must be 'whatsapp'")
    to = body.get("to")
    if not isinstance(to, str) or not to.isdigit():
        problems.append(f"'to' must be digits, not {to!r}")
    kind = body.get("type")
    if kind == "text":
        text = body.get("text", {}).get("body")
        problems += _length("text body", text, 4096)
    elif kind == "interactive":
        problems += _interactive(body.get("interactive"))
    elif kind == "template":
        problems += _template(body.get("template"), templates)
    else:
        problems.append(f"unsupported type {kind!r}")
    return problems


def _length(what: str, value: Any, limit: int, *, minimum: int = 1) -> list[str]:
    if not isinstance(value, str):
        return [f"{what} missing"]
    if not minimum <= len(value) <= limit:
        return [f"{what} has {len(value)} characters (allowed {minimum} to {limit}): {value!r}"]
    return []


def _interactive(interactive: Any) -> list[str]:
    if not isinstance(interactive, dict):
        return ["interactive missing"]
    problems = _length("interactive body", interactive.get("body", {}).get("text"), 1024)
    action = interactive.get("action", {})
    kind = interactive.get("type")
    if kind == "button":
        buttons = action.get("buttons", [])
        if not 1 <= len(buttons) <= 3:
            problems.append(f"{len(buttons)} reply buttons (allowed 1 to 3)")
        ids = [button.get("reply", {}).get("id") for button in buttons]
        for button in buttons:
            reply = button.get("reply", {})
            problems += _length("button title", reply.get("title"), 20)
            problems += _length("button id", reply.get("id"), 256)
        if len(set(ids)) != len(ids):
            problems.append("button ids are not unique")
    elif kind == "list":
        problems += _length("list button", action.get("button"), 20)
        sections = action.get("sections", [])
        rows = [row for section in sections for row in section.get("rows", [])]
        if not 1 <= len(rows) <= 10:
            problems.append(f"{len(rows)} list rows (allowed 1 to 10)")
        for section in sections:
            if len(sections) > 1 or "title" in section:
                problems += _length("section title", section.get("title"), 24)
        for row in rows:
            problems += _length("row title", row.get("title"), 24)
            problems += _length("row id", row.get("id"), 200)
            if "description" in row:
                problems += _length("row description", row.get("description"), 72)
        ids = [row.get("id") for row in rows]
        if len(set(ids)) != len(ids):
            problems.append("row ids are not unique")
    else:
        problems.append(f"unsupported interactive type {kind!r}")
    return problems


def _template(template: Any, templates: dict[str, frozenset[str]]) -> list[str]:
    if not isinstance(template, dict):
        return ["template missing"]
    name = template.get("name")
    language = template.get("language", {}).get("code")
    if name not in templates:
        return [f"template {name!r} is not approved"]
    if language not in templates[name]:
        return [f"template {name!r} is not approved in {language!r}"]
    problems: list[str] = []
    for component in template.get("components", []):
        for parameter in component.get("parameters", []):
            text = parameter.get("text")
            problems += _length("template parameter", text, 1024)
            if isinstance(text, str) and _BAD_PARAMETER.search(text):
                problems.append("a template parameter has a line break, tab or 5+ spaces")
    return problems
