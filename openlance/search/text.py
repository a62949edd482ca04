"""Text normalization shared by both databases.

SQLite's FTS5 and PostgreSQL's text search stem and split words differently, so neither is
allowed to: we turn text into tokens here (casefold, strip accents, split on anything that
is not a letter or digit, drop stop words, Snowball English stem) and hand the databases
ready-made tokens, which FTS5 (`unicode61`, no stemming) and PostgreSQL (a tsvector literal)
store verbatim. Both engines therefore see identical tokens for a document and a query.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

# An English stop list after Snowball's (which PostgreSQL's `english` configuration uses), so
# "and", "or", "not" typed as operators are ignored like any other filler word.
_STOP_WORDS_TEXT = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very s t was we were what when where which while who whom why will with would you your
    yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# A word longer than this is noise (a pasted hash or URL); PostgreSQL also rejects lexemes
# over 2 KB, so long tokens are dropped on both sides rather than failing a write.
MAX_TOKEN_LENGTH = 60
# Queries are ANDs of their terms; beyond this many the extra words cannot narrow a result
# list meaningfully and only cost time, so a pasted paragraph is cut here.
MAX_QUERY_TERMS = 32
MAX_QUERY_LENGTH = 1000

_ASCII_WORD = re.compile(r"[a-z0-9]+")
_stemmers = threading.local()


def _is_token_char(char: str) -> bool:
    # Letters, digits and private-use characters: what FTS5's unicode61 treats as part of a
    # word. Everything else separates words.
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    # Snowball stemmer objects keep state while stemming, so each thread gets its own.
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def _words(text: str) -> list[str]:
    """Casefolded, accent-free words of `text`, stop words and over-long words included."""
    if text.isascii():
        # The common case, and the same result as below: ASCII letters and digits are the
        # only ASCII token characters. Ten times faster on bulk (re)indexing.
        return _ASCII_WORD.findall(text.lower())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(
        char if _is_token_char(char) else " "
        for char in decomposed
        if unicodedata.category(char) != "Mn"
    )
    return folded.split()


def tokens(text: str) -> list[str]:
    """The index tokens of `text`, in order (repeats kept: they count for ranking)."""
    return [
        _stem(word)
        for word in _words(text)
        if word not in STOP_WORDS and len(word) <= MAX_TOKEN_LENGTH
    ]


@dataclass(frozen=True)
class ParsedQuery:
    """What a search box turned into: distinct terms, all of which must match (AND).

    `words` holds, for each term, the first word the user typed that produced it, so
    explanations can quote the user ("writing") rather than the stem ("write")."""

    terms: tuple[str, ...]
    words: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_query(text: str) -> ParsedQuery:
    """Any user input to terms. Quotes, operators, wildcards and punctuation are not syntax
    here, only separators; input made only of stop words or symbols means "no text filter"."""
    terms: list[str] = []
    words: list[str] = []
    for word in _words(text[:MAX_QUERY_LENGTH]):
        if word in STOP_WORDS or len(word) > MAX_TOKEN_LENGTH:
            continue
        term = _stem(word)
        if term not in terms:
            terms.append(term)
            words.append(word)
        if len(terms) == MAX_QUERY_TERMS:
            break
    return ParsedQuery(terms=tuple(terms), words=tuple(words))


def teaser(text: str, length: int) -> str:
    """The first `length` characters of `text` with whitespace collapsed, cut at a word.

    Collapsing a prefix of the text gives a prefix of the collapsed text, so a head of it
    that still collapses to more than `length` characters decides the teaser: a page of
    results no longer splits every overview whole (some thousands of characters each)."""
    flat = " ".join(text[: 2 * length + 64].split())
    if len(flat) <= length:
        flat = " ".join(text.split())
        if len(flat) <= length:
            return flat
    return flat[:length].rsplit(" ", 1)[0] + "…"
