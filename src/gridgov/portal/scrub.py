"""Removing personal numbers from text that is shown to the public (handling results, notes)."""

from __future__ import annotations

import re

HIDDEN = "[已隐去]"
_PATTERNS = [
    # Resident ID numbers: 18 characters (the last may be X), or the old 15-digit form.
    re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),
    re.compile(r"(?<!\d)\d{15}(?!\d)"),
    # Mobiles, with or without +86 and separators: 138 1234 5678, 138-1234-5678.
    re.compile(r"(?:\+?86[\s-]?)?(?<!\d)1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"),
    # Landlines: 0931-8123456, (0931)8123456, 093112345678.
    re.compile(r"(?:\(0\d{2,3}\)|(?<!\d)0\d{2,3})[\s-]?\d{7,8}(?!\d)"),
]


def scrub(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(HIDDEN, text or "")
    return text
