"""Normalization and query parsing: the half of search that is the same Python code on both
databases, so it decides which tokens either engine ever sees."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from openlance.search.index import _tsvector_literal
from openlance.search.text import MAX_QUERY_TERMS, STOP_WORDS, parse_query, teaser, tokens


def test_tokens_lowercase_split_drop_stop_words_and_stem():
    assert tokens("Writing the WordPress-plugins, and testing them!") == [
        "write",
        "wordpress",
        "plugin",
        "test",
    ]


def test_accents_are_folded_so_both_spellings_meet():
    assert tokens("Café résumé") == tokens("cafe resume")


@pytest.mark.parametrize("word", ["writing", "writes", "write"])
def test_inflections_share_a_stem_with_the_query(word):
    assert parse_query("write").terms[0] in tokens(f"I am {word} daily")


def test_query_terms_are_distinct_and_remember_the_typed_word():
    query = parse_query("Writing, writes and WRITE a blog")
    assert query.terms == ("write", "blog")
    assert query.words == ("writing", "blog")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "the and of", "AND OR NOT", "* - + ^ : ( ) \" '", "💥🔥", "\x00\x01", "___"],
)
def test_input_without_words_means_no_text_filter(text):
    assert not parse_query(text)


def test_operators_and_quotes_are_separators_not_syntax():
    assert parse_query('"python" AND (django OR -flask*) NEAR/3 {title}: col:x').terms == (
        "python",
        "django",
        "flask",
        "near",
        "3",
        "titl",
        "col",
        "x",
    )


def test_unicode_words_survive():
    assert parse_query("Ünïcödé 中文 日本語 Ελληνικά").terms == (
        "unicod",
        "中文",
        "日本語",
        "ελληνικα",
    )


def test_long_queries_are_cut_to_a_bounded_number_of_terms():
    assert len(parse_query(" ".join(f"word{n}" for n in range(500))).terms) == MAX_QUERY_TERMS
    assert parse_query("a" * 500).terms == ()  # an absurdly long word is noise, not a term
    assert parse_query("ab " * 250).terms == ("ab",)


@given(st.text(max_size=600))
def test_any_input_parses_to_plain_word_terms(text):
    query = parse_query(text)
    assert len(query.terms) <= MAX_QUERY_TERMS
    for term in query.terms:
        assert term
        assert " " not in term
        assert not set(term) & set("\"'*:()^-+{}\\\x00")
        assert term not in STOP_WORDS


def test_tsvector_literal_weights_fields_and_keeps_positions():
    literal = _tsvector_literal((["python", "develop"], ["python"], ["build", "python"]))
    assert literal == "'python':1A,3B,5C 'develop':2A 'build':4C"


def test_teaser_cuts_at_a_word():
    assert teaser("one  two\nthree", 250) == "one two three"
    assert teaser("alpha beta gamma", 12) == "alpha beta…"


# Words between runs of whitespace long enough that the text's head can collapse to less
# than a teaser while the whole text does not.
WORDS_AND_GAPS = st.lists(
    st.one_of(
        st.sampled_from(["a", "bb", "écrire", "x" * 30]),
        st.text(alphabet=" \n\t\u00a0", min_size=1, max_size=120),
    ),
    max_size=40,
).map("".join)


@given(WORDS_AND_GAPS, st.integers(min_value=1, max_value=60))
@example("a" + " " * 100 + "bb", 1)
@example("x" * 300, 250)
def test_the_teaser_is_the_collapsed_text_cut_at_a_word_however_long_the_text(text, length):
    flat = " ".join(text.split())
    expected = flat if len(flat) <= length else flat[:length].rsplit(" ", 1)[0] + "…"
    assert teaser(text, length) == expected


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_the_ascii_fast_path_agrees_with_the_general_one(text):
    from openlance.search import text as module

    general = unicodedata.normalize("NFKD", text.casefold())
    expected = "".join(c if module._is_token_char(c) else " " for c in general).split()
    assert module._words(text) == expected
