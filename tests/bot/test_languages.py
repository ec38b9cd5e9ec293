"""Choosing the reply language: explicit choice, naming, detection and stickiness."""

from __future__ import annotations

import pytest

from bot import languages
from bot.languages import choose, detect, named_language, negotiate, normalize, parse_accept_language

SERVED = ["en", "es"]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("es-MX", "es"), ("es_419", "es"), ("EN-us", "en"), ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"),
     ("zh-CN", "zh-Hans"), ("fil", "tl"), ("pes", "fa"), ("fa-IR", "fa"), ("", None), ("xx", None), (None, None)],
)
def test_bcp47_aliases_are_normalized(tag: str | None, expected: str | None) -> None:
    assert normalize(tag) == expected


def test_accept_language_is_negotiated_with_babel() -> None:
    assert negotiate(parse_accept_language("fr-FR,es-MX;q=0.8,en;q=0.5"), SERVED) == "es"
    assert negotiate(parse_accept_language("en-GB,en;q=0.9"), SERVED) == "en"
    assert negotiate(parse_accept_language("fr;q=1,de;q=0.5"), SERVED) is None
    assert negotiate(parse_accept_language("garbage;q=x,,;"), SERVED) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("español", "es"), ("Espanol", "es"), ("SPANISH", "es"), ("in english please", "en"), ("ingles", "en"),
     ("en inglés por favor", "en"), ("can you answer in spanish", "es"), ("what are my rights", None),
     ("cambiar de inglés a español", "es"), ("la migra esta en mi puerta", None), ("que es una orden", None),
     ("es", "es"), ("EN", "en"), ("zh-TW", None)],
)
def test_a_named_language_is_found_in_any_served_language(text: str, expected: str | None) -> None:
    assert named_language(text, SERVED) == expected


def test_endonyms_come_from_babel_in_their_own_script() -> None:
    assert languages.endonym("es") == "Español"
    assert languages.endonym("fa") == "فارسی"
    assert languages.endonym("zh-Hant").startswith("中文")
    assert languages.direction("fa") == "rtl" and languages.direction("es") == "ltr"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("what should i do if ice comes to my house", "en"), ("que hago si la migra llega a mi casa", "es"),
     ("necesito un lawyer para mi esposo", "es"), ("my mom got detained by la migra", "en")],
)
def test_detection_is_limited_to_served_languages(text: str, expected: str) -> None:
    result = detect(text, SERVED)
    assert result is not None and result[0] == expected


@pytest.mark.parametrize("text", ["la migra esta en mi puerta", "que es una orden judicial", "en mi casa"])
def test_language_codes_inside_a_sentence_are_not_a_choice(text: str) -> None:
    assert choose(text, None, SERVED).lang == "es"


def test_no_letters_means_no_detection() -> None:
    assert detect("90057", SERVED) is None
    assert choose("90057", None, SERVED).lang == "en"


def test_explicit_choice_wins_over_the_text() -> None:
    choice = choose("what are my rights at work", "en", SERVED, explicit="es-MX")
    assert (choice.lang, choice.reason) == ("es", "explicit")


def test_unserved_explicit_choice_is_ignored() -> None:
    assert choose("hola como estas", None, SERVED, explicit="ko").lang == "es"


def test_language_is_sticky_for_short_or_unsure_messages() -> None:
    assert choose("ok", "es", SERVED).lang == "es"
    assert choose("gracias", "en", SERVED).lang == "en"
    assert choose("ICE", "es", SERVED).lang == "es"


def test_a_full_sentence_in_another_language_switches() -> None:
    choice = choose("que hago si la migra toca mi puerta", "en", SERVED)
    assert (choice.lang, choice.reason) == ("es", "detected")


def test_naming_a_language_switches_even_in_a_short_message() -> None:
    assert choose("english", "es", SERVED).lang == "en"


def test_button_payloads_keep_the_language() -> None:
    assert choose("/rights_home_visit", "es", SERVED).lang == "es"


ALL = list(languages.LANGUAGES)[:12]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("can you answer in Vietnamese?", "vi"), ("請用廣東話", "zh-Hant"), ("我要简体中文", "zh-Hans"),
     ("한국어로 해주세요", "ko"), ("на русском пожалуйста", "ru"), ("فارسی لطفا", "fa"), ("հայերենով", "hy"),
     ("日本語でお願いします", "ja"), ("ขอภาษาไทย", "th"), ("Tagalog po", "tl"), ("Farsi please", "fa"),
     ("in English", "en"), ("ICE is at the door", None)],
)
def test_a_language_named_in_any_script_or_in_english_is_found(text: str, expected: str | None) -> None:
    assert named_language(text, ALL) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("移民局來了我該怎麼辦", "zh-Hant"), ("移民局来了我该怎么办", "zh-Hans"),
     ("佢哋喺門口點算", "zh-Hant"), ("ICEが家に来たらどうする", "ja"), ("이민국이 집에 오면 어떻게 해요", "ko"),
     ("اگر مامورها بیان در خونه چیکار کنم", "fa"), ("что делать если пришли из ICE", "ru"),
     ("Ինչ անեմ եթե ICE-ը գա տուն", "hy"), ("ถ้าICEมาที่บ้านต้องทำยังไง", "th"),
     ("pano po kung kumatok ang ICE sa bahay namin", "tl"), ("toi phai lam gi neu ICE go cua nha", "vi")],
)
def test_every_launch_language_is_detected_even_with_english_words_mixed_in(text: str, expected: str) -> None:
    found = detect(text, ALL, nlu_dir=languages.Path("data/nlu"))
    assert found is not None and found[0] == expected


def test_traditional_and_simplified_chinese_are_told_apart_by_their_characters() -> None:
    assert languages.chinese_script("這個律師是免費的嗎") == "zh-Hant"
    assert languages.chinese_script("这个律师是免费的吗") == "zh-Hans"
    assert languages.chinese_script("我要律师 我們") == "zh-Hans"  # mixed: the majority decides
    assert languages.chinese_script("好的", current="zh-Hant") == "zh-Hant"  # shared characters: keep the conversation's


def test_a_chosen_language_sticks_even_when_the_resident_goes_on_in_english() -> None:
    first = choose("can you answer in Vietnamese?", "en", ALL)
    assert first == languages.Choice("vi", "named")
    then = choose("what should I do if ICE comes to my house tonight", "vi", ALL, chosen=True)
    assert then.lang == "vi"
    # Without a choice, the same full sentence is a confident switch to English.
    assert choose("what should I do if ICE comes to my house tonight", "vi", ALL).lang == "en"


def test_persian_replies_are_right_to_left() -> None:
    assert languages.direction("fa") == "rtl" and languages.direction("zh-Hant") == "ltr"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hi", "en"), ("hello", "en"), ("ok", "en"), ("hola", "es"), ("gracias", "es"), ("salamat", "tl"), ("privet", "ru"),
     ("xin chao", "vi"), ("안녕하세요", "ko")],
)
def test_a_first_greeting_too_short_to_tell_gets_the_default_and_a_clear_one_its_language(text: str, expected: str) -> None:
    assert choose(text, None, ALL, nlu_dir=languages.Path("data/nlu")).lang == expected
