import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import ValidationError

from openlance.core.apitools import MoneyIn, StrictSchema, amount_pattern, api_json
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


def test_api_json_writes_what_the_standard_encoder_writes():
    """orjson writes the API's answers; what it cannot write itself reads as Ninja's own
    encoder wrote it (times to the millisecond with a Z, decimals and lazy text as strings,
    schemas dumped), so switching encoders changed no answer but its spacing."""

    class Row(Schema):
        at: datetime

    class Budget(TextChoices):
        FIXED = "fixed", "Fixed price"

    moment = datetime(2026, 12, 6, 7, 1, 2, 123456, tzinfo=UTC)
    data = {
        "at": moment,
        "day": date(2026, 12, 6),
        "time": time(7, 1, 2, 500000),
        "took": timedelta(minutes=90),
        "amount": Decimal("1.50"),
        "label": gettext_lazy("Fixed price"),
        "choice": Budget.FIXED,
        "counts": {7: 1},
        "row": Row(at=moment),
        "relevance": 0.1,
        "nothing": None,
    }
    written = api_json(data)
    assert json.loads(written) == json.loads(json.dumps(data, cls=NinjaJSONEncoder))
    assert b'"at":"2026-12-06T07:01:02.123Z"' in written
    assert b'"counts":{"7":1}' in written


@pytest.mark.parametrize("value", [2**64, "\ud800", {"n": [[[[]]]]}])
def test_api_json_writes_what_orjson_refuses_as_the_standard_encoder_did(value):
    data = {"value": value}
    if isinstance(value, dict):  # nesting past orjson's limit
        for _ in range(300):
            data = {"deeper": data}
    assert json.loads(api_json(data)) == json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def test_api_json_refuses_what_no_encoder_can_write():
    with pytest.raises(TypeError):
        api_json({"value": object()})
