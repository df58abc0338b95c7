"""What the fake records for tests to read: messages it accepted (`SentWhatsApp`), sends it
refused (`Refusal`), and the webhooks it POSTed (`WebhookDelivery`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SentWhatsApp:
    """A message the fake accepted."""

    message_id: str
    to: str
    body: dict[str, Any]

    @property
    def type(self) -> str:
        """``text``, ``interactive`` or ``template``."""
        return str(self.body.get("type"))

    @property
    def text(self) -> str:
        """What the customer reads: the text, the interactive body, or the template's words."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        components = self.body.get("template", {}).get("components", [])
        return " ".join(
            str(parameter.get("text", ""))
            for component in components
            for parameter in component.get("parameters", [])
        )

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of each reply button or list row."""
        if self.type != "interactive":
            return []
        interactive = self.body["interactive"]
        action = interactive.get("action", {})
        if interactive.get("type") == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]
        return [
            (row["id"], row["title"])
            for section in action.get("sections", [])
            for row in section.get("rows", [])
        ]

    @property
    def choice_ids(self) -> list[str]:
        """The ids (the flow's callback data) of the choices."""
        return [choice_id for choice_id, _ in self.choices]

    @property
    def choice_titles(self) -> list[str]:
        """The titles the customer sees on the choices."""
        return [title for _, title in self.choices]

    @property
    def template_name(self) -> str | None:
        """The template's name, for a template message."""
        return str(self.body["template"]["name"]) if self.type == "template" else None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """A webhook the fake POSTed: its raw body and the answer's status."""

    body: bytes
    status: int
    message_id: str | None = None


@dataclass
class _Failure:
    code: int
    to: str | None
    times: int


@dataclass
class Refusal:
    """A send the fake refused, and why."""

    to: str
    code: int
    body: dict[str, Any] = field(default_factory=dict)
