"""SMS shaping: splitting for Twilio's 1,600-unit cap and paging by segments, never inside a grapheme."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sms import encoding, fit, pages, segments, split

MORE = "\n(MORE)"
FAMILY = "👩‍👩‍👧"

# Whole pieces of real text: combining marks always ride on a base letter, as in real messages.
ENGLISH = ["Know", "your", "rights", "tenant", "Call", "311", "landlord.", "ICE?", "now!", "lacity.org", "3.5"]
SPANISH = ["información", "¿Qué?", "niño", "desalojo.", "¡Llame!", "e\u0301", "n\u0303", "a\u0308\u0304"]
CJK = ["你有权保持沉默。", "房东", "移民！", "あなたには黙秘権があります。", "カタカナ？", "한국어", "\u1100\u1161\u11a8"]
OTHERS = ["สิทธิ์ของคุณ", "น้ำ", "ไม่", "حقوق", "شما؟", "مستأجر.", "Իրավունքներ։", "Լոս", "права", "Арендатор.", "क्षि", "हिन्दी"]
EMOJI = [FAMILY, "🇺🇸", "🇲🇽", "👍🏽", "❤️", "🏳\ufe0f\u200d🌈", "😀"]
MARKS = [".", "!", "?", "。", "！", "？", "։", "؟", ",", "€", "[", "~", '"']
ATOMS = ENGLISH + SPANISH + CJK + OTHERS + EMOJI + MARKS
SPACES = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\r\n", " \n \n"]
fragments = st.lists(st.sampled_from(ATOMS + SPACES * 4), max_size=40).map("".join)
# Repeating a few fragments reaches answer-sized texts (up to 5,000 characters) quickly.
mixed_text = st.builds(lambda pieces, times: ("".join(pieces) * times)[:5000], st.lists(fragments, max_size=5), st.integers(1, 80))
gsm_fragments = st.text(alphabet="Know your rights, call 311. Señor: niño, café. {€} [ok]\n", max_size=200)
gsm_text = st.builds(lambda piece, times: (piece * times)[:3000], gsm_fragments, st.integers(1, 20))
budgets = st.integers(min_value=1, max_value=4)
reserves = st.sampled_from(["", MORE, " (MORE)", "\n(MÁS)", "\n（更多）"])


def squeeze(text: str) -> str:
    return "".join(text.split())


def graphemes(text: str) -> list[str]:
    return [g for g in regex.findall(r"\X", text) if not g.isspace()]


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def largest_grapheme(text: str) -> int:
    return max((utf16(g) for g in regex.findall(r"\X", text)), default=0)


@settings(max_examples=200, deadline=None)
@given(text=mixed_text, limit=st.integers(min_value=20, max_value=1600))
def test_split_parts_are_within_limit_stripped_and_lossless(text: str, limit: int) -> None:
    parts = split(text, limit)
    assert all(utf16(part) <= limit for part in parts)
    assert all(part and part == part.strip() for part in parts)
    assert squeeze("".join(parts)) == squeeze(text)


@settings(max_examples=200, deadline=None)
@given(text=mixed_text, limit=st.integers(min_value=20, max_value=1600))
def test_split_never_cuts_inside_a_grapheme(text: str, limit: int) -> None:
    parts = split(text, limit)
    assert [g for part in parts for g in graphemes(part)] == graphemes(text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), limit=st.integers(min_value=8, max_value=1600))
def test_split_handles_any_unicode_text(text: str, limit: int) -> None:
    if largest_grapheme(text.strip()) > limit:
        with pytest.raises(ValueError, match="raise the limit"):
            split(text, limit)
        return
    parts = split(text, limit)
    assert all(part and part == part.strip() and utf16(part) <= limit for part in parts)
    assert squeeze("".join(parts)) == squeeze(text)


@settings(max_examples=200, deadline=None)
@given(text=mixed_text)
def test_text_within_the_limit_is_one_stripped_part(text: str) -> None:
    expected = [text.strip()] if text.strip() else []
    assert split(text, max(1, utf16(text))) == expected


@settings(max_examples=200, deadline=None)
@given(text=mixed_text, max_segments=budgets, reserve=reserves)
def test_pages_fit_their_budget_with_the_reserve_and_lose_nothing(text: str, max_segments: int, reserve: str) -> None:
    result = pages(text, max_segments, reserve)
    assert all(segments(page + reserve) <= max_segments for page in result[:-1])
    assert all(segments(page) <= max_segments for page in result[-1:])
    assert all(page and page == page.strip() for page in result)
    assert squeeze("".join(result)) == squeeze(text)
    assert [g for page in result for g in graphemes(page)] == graphemes(text)


@settings(max_examples=200, deadline=None)
@given(text=gsm_text, max_segments=budgets)
def test_pure_gsm_text_stays_gsm7(text: str, max_segments: int) -> None:
    result = pages(text, max_segments, MORE)
    assert all(encoding(page + MORE) == "GSM-7" for page in result)
    assert all(segments(page + MORE) <= max_segments for page in result[:-1])


@settings(max_examples=200, deadline=None)
@given(text=mixed_text, max_segments=budgets, reserve=reserves)
def test_fit_returns_everything_when_it_fits_and_a_nonempty_head_otherwise(text: str, max_segments: int, reserve: str) -> None:
    head, rest = fit(text, max_segments, reserve)
    if not rest:
        assert head == text.strip()
        assert segments(head) <= max_segments
    else:
        assert head and rest == rest.strip()
        assert segments(head + reserve) <= max_segments
        assert squeeze(head + rest) == squeeze(text)


def test_one_emoji_switches_to_ucs2_and_shrinks_the_page() -> None:
    head, _ = fit("a" * 400, 1, MORE)
    assert (len(head), encoding(head + MORE)) == (153, "GSM-7")
    head, _ = fit("😀" + "a" * 400, 1, MORE)
    assert encoding(head + MORE) == "UCS-2"
    assert utf16(head + MORE) == 70
    assert head == "😀" + "a" * 61


def test_an_emoji_late_in_the_text_only_shrinks_the_page_that_holds_it() -> None:
    result = pages("a" * 300 + "😀", 1, MORE)
    assert [encoding(page) for page in result] == ["GSM-7", "GSM-7", "UCS-2"]
    assert [len(page) for page in result] == [153, 147, 1]


def test_spanish_answer_of_2000_characters_splits_in_two_at_a_sentence() -> None:
    sentence = "Usted tiene derecho a guardar silencio y a no abrir la puerta sin una orden judicial firmada. "
    text = (sentence * 22)[:2000].rstrip() + "."
    parts = split(text)
    assert len(parts) == 2
    assert parts[0].endswith("firmada.")
    assert parts[1].startswith("Usted")
    assert all(len(part) <= 1600 for part in parts)


def test_a_paragraph_break_is_preferred_over_a_later_sentence() -> None:
    first = "Primero. " * 100
    text = first + "\n\n" + "Segundo. " * 100
    assert split(text) == [first.strip(), ("Segundo. " * 100).strip()]


def test_a_short_heading_does_not_become_a_part_of_its_own() -> None:
    parts = split("Sus derechos\n\n" + "Tiene derecho a callar. " * 100)
    assert parts[0].startswith("Sus derechos\n\nTiene")
    assert parts[0].endswith("callar.")


def test_chinese_without_spaces_splits_at_the_limit() -> None:
    text = "你有权保持沉默房东不能赶你走" * 125  # 1,750 characters, no spaces or stops
    assert split(text) == [text[:1600], text[1600:]]


def test_chinese_breaks_after_a_full_width_stop() -> None:
    text = "你有权保持沉默。" * 250
    parts = split(text)
    assert all(part.endswith("。") for part in parts)
    assert "".join(parts) == text


def test_thai_vowels_stay_on_their_consonant() -> None:
    text = "น้ำ" * 700
    parts = split(text)
    assert [len(part) for part in parts] == [1599, 501]
    assert all(part == "น้ำ" * (len(part) // 3) for part in parts)


def test_emoji_only_text_splits_between_emoji() -> None:
    assert split(FAMILY * 300) == [FAMILY * 200, FAMILY * 100]


def test_empty_and_blank_text_give_no_parts() -> None:
    assert split("") == []
    assert split("   \n ") == []
    assert pages("", 1, MORE) == []
    assert fit("  ", 1, MORE) == ("", "")


def test_a_grapheme_larger_than_the_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="raise the limit"):
        split(FAMILY, limit=5)


def test_a_reserve_that_leaves_no_room_is_an_error() -> None:
    with pytest.raises(ValueError, match="shorten the reserve"):
        fit("a" * 200, 1, "x" * 160)


@pytest.mark.parametrize("bad", [0, -1])
def test_budgets_below_one_are_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        fit("hi", bad)
    with pytest.raises(ValueError, match="at least 1"):
        split("hi", bad)
