from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openlance.core.money import Money, MoneyError, round_half_up_div


def test_parse_and_format_round_trip():
    assert Money.parse("123.45") == Money(12345)
    assert Money.parse("7") == Money(700)
    assert Money.parse(Decimal("0.10")).amount == "0.10"
    assert Money(-1205).amount == "-12.05"
    assert str(Money(123456789)) == "$1,234,567.89"


@pytest.mark.parametrize("bad", ["1.234", "abc", "", "NaN", "Infinity"])
def test_parse_rejects_what_is_not_cents(bad):
    with pytest.raises(MoneyError):
        Money.parse(bad)


def test_floats_are_refused():
    with pytest.raises(MoneyError):
        Money.parse(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1.5)  # type: ignore[arg-type]


def test_currencies_do_not_mix():
    with pytest.raises(MoneyError):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(MoneyError):
        Money(100, "usd")


def test_percent_rounds_half_up():
    assert Money(50).percent(300) == Money(2)  # 1.5 cents -> 2
    assert Money(49).percent(300) == Money(1)  # 1.47 cents -> 1
    assert Money(60000).percent(275) == Money(1650)


@given(
    st.integers(min_value=-(10**30), max_value=10**30), st.integers(min_value=1, max_value=10**9)
)
def test_round_half_up_div_matches_decimal(numerator, denominator):
    from decimal import ROUND_HALF_UP, Context

    exact = Context(prec=100).divide(Decimal(numerator), Decimal(denominator))
    assert round_half_up_div(numerator, denominator) == int(
        exact.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=Context(prec=100))
    )


@pytest.mark.parametrize(
    "foreign",
    [
        "\u0661\u0660.\u0660\u0660",  # Arabic-Indic
        "\u06f1\u06f0",  # Extended Arabic-Indic (Persian)
        "\u0967\u0966.\u096b\u0966",  # Devanagari
        "\uff11\uff10.\uff10\uff10",  # fullwidth
        "1\u0660.00",  # one foreign digit among ASCII ones
        "10.0\u0665",
    ],
)
def test_parse_takes_ascii_digits_only(foreign):
    with pytest.raises(MoneyError, match=r"not an amount like 123\.45"):
        Money.parse(foreign)
