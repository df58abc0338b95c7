"""Nairobi time and the one clock every service is given.

Daraja stamps its times in Nairobi time, and the dates customers and staff read are Nairobi
dates: Kenya keeps East Africa Time all year (no daylight saving).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

NAIROBI: Final = ZoneInfo("Africa/Nairobi")

# What services call for "now": a timezone-aware datetime. Tests pass a settable clock.
Clock = Callable[[], datetime]

__all__ = ["NAIROBI", "Clock"]
