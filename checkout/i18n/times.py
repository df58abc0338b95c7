"""Clock times as Kenyans read them: ``10:00`` in English, Swahili time in Swahili.

Swahili counts the hours from dawn and dusk: 07:00 is *saa moja asubuhi* (the first hour of
the day) and 19:00 *saa moja jioni*; "saa 10:00" reads to many as 4 pm. Swahili texts
therefore name the Swahili hour and the part of the day, with the 24-hour time after it in
brackets for anyone who reads clocks the other way: ``saa nne asubuhi (10:00)``.
"""

from __future__ import annotations

from datetime import time
from typing import Final

from checkout.domain.records import Language

_NUMBERS: Final = (
    "kumi na mbili",  # the twelfth hour: 06:00 and 18:00 (and 00:00 / 12:00 six hours on)
    "moja",
    "mbili",
    "tatu",
    "nne",
    "tano",
    "sita",
    "saba",
    "nane",
    "tisa",
    "kumi",
    "kumi na moja",
)

# Where each part of the day starts (24-hour clock), latest first. Kenyan usage: the small
# hours are night (saa nane usiku = 2 am), dawn is alfajiri, asubuhi runs to noon, mchana
# to about 4 pm, jioni until the evening's second hour, and usiku from 8 pm (saa mbili usiku).
_PARTS: Final = (
    (20, "usiku"),
    (16, "jioni"),
    (12, "mchana"),
    (6, "asubuhi"),
    (4, "alfajiri"),
    (0, "usiku"),
)


def part_of_day(hour: int) -> str:
    """The Swahili part of the day of a 24-hour ``hour`` (0-23)."""
    return next(name for start, name in _PARTS if hour >= start)


def swahili_hour(hour: int) -> str:
    """The Swahili name of a 24-hour ``hour``: 7 and 19 → ``moja``, 10 and 22 → ``nne``."""
    return _NUMBERS[(hour - 6) % 12]


def swahili_time(at: time) -> str:
    """``saa nne asubuhi (10:00)``; a quarter, half and three quarters said as people say
    them (``saa nne na robo``, ``na nusu``, ``saa tano kasorobo``), other minutes counted."""
    clock = f"{at.hour:02d}:{at.minute:02d}"
    part = part_of_day(at.hour)
    if at.minute == 0:
        said = f"saa {swahili_hour(at.hour)}"
    elif at.minute == 15:
        said = f"saa {swahili_hour(at.hour)} na robo"
    elif at.minute == 30:
        said = f"saa {swahili_hour(at.hour)} na nusu"
    elif at.minute == 45:
        # "A quarter short of" the next hour.
        said = f"saa {swahili_hour((at.hour + 1) % 24)} kasorobo"
    else:
        said = f"saa {swahili_hour(at.hour)} na dakika {at.minute}"
    return f"{said} {part} ({clock})"


def clock_time(language: Language, at: time) -> str:
    """A time of day as ``language`` reads it: ``10:00`` or ``saa nne asubuhi (10:00)``.

    Swahili texts put no "saa" before it: the time says it.
    """
    if language == "sw":
        return swahili_time(at)
    return f"{at.hour:02d}:{at.minute:02d}"
