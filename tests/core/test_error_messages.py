"""Validation errors read as sentences for people, from the catalogs, in the user's language."""

from datetime import date

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from core.errors import fields_from_validation
from core.i18n import using_locale


class Sample(BaseModel):
    quantity: int = Field(gt=0)
    title: str = Field(min_length=3, max_length=5)
    tags: list[str] = Field(default_factory=list, max_length=1)
    on: date | None = None
    kind: str = "a"

    @field_validator("kind")
    @classmethod
    def known_kind(cls, value: str) -> str:
        if value == "custom":
            raise PydanticCustomError("int_type", "our own words")
        if value != "a":
            raise ValueError("The due date is before the start date")
        return value


def errors_for(data: dict, locale: str) -> dict[str, str]:
    with using_locale(locale), pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    with using_locale(locale):
        return fields_from_validation(caught.value)


def test_pydantic_errors_are_phrased_for_people_with_plural_forms():
    fields = errors_for({"quantity": 0, "title": "ab", "tags": ["x", "y"], "on": "soon"}, "en")
    assert fields == {
        "quantity": "Give a number greater than 0.",
        "title": "Give at least 3 characters.",
        "tags": "Choose at most 1 item.",
        "on": "Give a date (year-month-day).",
    }
    assert errors_for({"title": "abcdefgh"}, "en") == {
        "quantity": "This field is required",
        "title": "Give at most 5 characters.",
    }


def test_pydantic_errors_are_translated_to_chinese():
    fields = errors_for({"quantity": "many", "title": "ab", "on": "soon"}, "zh_Hans")
    assert fields == {
        "quantity": "请填写整数。",
        "title": "请至少填写 3 个字符。",
        "on": "请填写日期（年-月-日）。",
    }
    assert not any(ch.isascii() and ch.isalpha() for message in fields.values() for ch in message)


def test_our_own_messages_are_kept_and_a_custom_error_keeps_its_words():
    assert errors_for({"quantity": 1, "title": "abc", "kind": "custom"}, "en") == {
        "kind": "our own words"
    }
    # A validator's plain English sentence is looked up in the catalogs like any other.
    assert errors_for({"quantity": 1, "title": "abc", "kind": "b"}, "en") == {
        "kind": "The due date is before the start date"
    }


@pytest.mark.asyncio
async def test_the_api_names_the_field_in_the_callers_language(client):
    answer = await client.get(
        "/api/v1/needs", params={"limit": "0", "offset": "x"}, headers={"Accept-Language": "zh-CN"}
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"].startswith("输入有误：")
    assert set(error["fields"]) == {"limit", "offset"}
    assert error["fields"]["offset"] == "请填写整数。"
    assert all(not message.isascii() for message in error["fields"].values()), error["fields"]
