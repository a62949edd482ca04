import pytest
from pydantic import ValidationError

from openlance.core.apitools import StrictSchema


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
