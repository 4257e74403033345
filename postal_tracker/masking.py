"""Personal data as the public sees it: enough for the citizen to recognise
their own dossier, too little for a passer-by to learn who it is.

Pure: no Flask, no database.
"""

from __future__ import annotations

from postal_tracker.phones import mask_phone

__all__ = ["mask_name", "mask_phone"]


def mask_name(name: str) -> str:
    """``Nguyễn Thị Phương Thảo`` -> ``N. T. P. Thảo``: initials, and the given
    name (the last word) only when there are initials before it; a name of one
    word is never shown whole (``Thảo`` -> ``T***``)."""
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + "***"
    return " ".join([w[0] + "." for w in words[:-1]] + [words[-1]])
