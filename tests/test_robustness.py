"""Any text at all: never raises, and never changes the cart unless understood."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceskill import Assistant

CHANGING = {"add_item", "remove_item", "set_quantity", "undo", "yes"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=300), st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.!?é'0123456789",
                                                     max_size=80)))
def test_arbitrary_text(assistant: Assistant, text: str) -> None:
    assistant.turn("twee bananen en een komkommer", user="h")
    before = assistant.cart("h")
    result = assistant.turn(text, user="h")
    assert result.reply.text
    if result.intent not in CHANGING:
        assert assistant.cart("h") == before, (text, result.intent)
    assistant.store.clear("h")


def test_very_long_and_empty_input(assistant: Assistant) -> None:
    for text in ("", " ", "x" * 10_000, "melk " * 3000, "\x00\x01\x02", "🍌🍌🍌"):
        result = assistant.turn(text, user="r")
        assert result.intent in ("fallback", "add_item") and result.reply.text
    assert assistant.cart("r") == {} or set(assistant.cart("r")) <= {"halfvolle-melk", "volle-melk", "magere-melk"}


def test_state_survives_a_new_process(catalog, tmp_path: Path) -> None:
    first = Assistant(catalog, tmp_path / "db.sqlite")
    assert first.turn("melk", user="p").asks
    second = Assistant(catalog, tmp_path / "db.sqlite")
    assert second.turn("de tweede", user="p").cart == {"volle-melk": 1}


@pytest.mark.parametrize("kwargs, named", [
    ({"text": 42}, "text"), ({"text": None}, "text"), ({"text": "twee bananen", "user": 7}, "user"),
    ({"text": "twee bananen", "session": ["s"]}, "session"),
])
def test_wrong_argument_types_get_a_clear_type_error(tmp_path, kwargs, named) -> None:
    bot = Assistant(None, tmp_path / "t.db")
    with pytest.raises(TypeError, match=rf"{named} must be a str"):
        bot.turn(**kwargs)
