"""Small helpers for the sentences pages and emails show."""

from __future__ import annotations


def sentence(text: str) -> str:
    """End `text` with a full stop unless it ends in punctuation already ("Offer sent to
    Hanna T." not "Hanna T..")."""
    return text if text.endswith((".", "!", "?")) else f"{text}."
