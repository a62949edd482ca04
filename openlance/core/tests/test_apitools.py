import pytest
from ninja import Field
from pydantic import ValidationError

from openlance.core.apitools import MoneyIn, StrictSchema, amount_pattern
from openlance.core.money import Money


class Questions(StrictSchema):
    title: str = ""
    questions: list[str] = []
    answers: dict[str, list[str]] = {}


@pytest.mark.parametrize(
    "data",
    [
        {"title": "a\x00b"},
        {"questions": ["fine", "not\x00fine"]},
        {"answers": {"q": ["a\x00"]}},
        {"answers": {"q\x00": []}},
    ],
)
def test_nul_characters_are_refused_at_any_depth(data):
    with pytest.raises(ValidationError, match="NUL"):
        Questions(**data)


def test_text_without_nul_characters_passes():
    schema = Questions(title="t", questions=["a", "b"], answers={"q": ["a"]})
    assert schema.questions == ["a", "b"]


@pytest.mark.parametrize(
    "amount",
    ["\u0661\u0660.\u0660\u0660", "\u06f1\u06f0", "\uff11\uff10", "10.\u0665\u0660", "-\u0661"],
)
def test_money_in_takes_ascii_digits_only(amount):
    with pytest.raises(ValidationError, match="String should match pattern"):
        MoneyIn(amount=amount)


@pytest.mark.parametrize(
    ("amount", "cents"), [("10", 1000), ("49.90", 4990), ("-0.5", -50), ("999999999999.99", None)]
)
def test_money_in_reads_plain_amounts(amount, cents):
    money = MoneyIn(amount=amount).to_money()
    assert cents is None or money == Money(cents)


@pytest.mark.parametrize(
    ("kwargs", "good", "bad"),
    [
        ({}, ["0", "123456789012.34"], ["-1", "1234567890123", "1.234", "\u0661", "1e3", " 1"]),
        ({"digits": 6, "signed": True}, ["-12.5", "999999"], ["1234567", "\u0661\u0662", "+1"]),
    ],
)
def test_amount_pattern_is_ascii_and_bounded(kwargs, good, bad):
    class Query(StrictSchema):
        amount: str = Field(pattern=amount_pattern(**kwargs))

    for amount in good:
        assert Query(amount=amount).amount == amount
    for amount in bad:
        with pytest.raises(ValidationError):
            Query(amount=amount)
