"""SMS encoding and segment counting (GSM 03.38 basic set vs UCS-2).

A message that uses only GSM-7 characters costs 160 characters a segment (153 when split);
any other character switches the whole message to UCS-2: 70 a segment (67 when split).
No maintained library on PyPI does just this, so the GSM alphabet is written out here.

>>> encoding("Call 888-624-4752 now")
'GSM-7'
>>> encoding("Llame ahora, información")
'UCS-2'
>>> segments("a" * 161)
2
>>> segments("é" * 70), segments("á" * 71)
(1, 2)
"""

from __future__ import annotations

__all__ = ["encoding", "segments"]

_GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = "^{}\\[~]|€\f"
_GSM7 = frozenset(_GSM7_BASIC)
_GSM7_EXT = frozenset(_GSM7_EXTENDED)


def encoding(text: str) -> str:
    """Return 'GSM-7' when every character is in the GSM alphabet, else 'UCS-2'."""
    return "GSM-7" if all(c in _GSM7 or c in _GSM7_EXT for c in text) else "UCS-2"


def _units(text: str) -> int:
    if encoding(text) == "GSM-7":
        return sum(2 if c in _GSM7_EXT else 1 for c in text)
    # UCS-2 counts UTF-16 code units: a character outside the BMP (an emoji) takes two.
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS segments `text` takes in its encoding."""
    units = _units(text)
    single, split = (160, 153) if encoding(text) == "GSM-7" else (70, 67)
    if units <= single:
        return 1
    return -(-units // split)
