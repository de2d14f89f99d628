"""How a query is read as a phone number, an amount or a name, and the keys a finding is indexed
by: pure functions, so property tests over the spellings people write."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vidscribe.analysis.contacts import find_phones
from vidscribe.analysis.money import find_money
from vidscribe.analysis.numerals import format_amount
from vidscribe.analysis.text import fold
from vidscribe.corpus.values import (
    AmountQuery,
    ValueQuery,
    amount_query,
    finding_keys,
    is_web_url,
    phone_prefixes,
    value_keys,
    video_url,
)

ru_mobile = st.integers(900_000_0000, 999_999_9999).map(str)  # 10 digits after +7


def spellings(national: str) -> st.SearchStrategy[str]:
    """How a Russian mobile number is written: +7 or 8, any spaces, dashes and brackets."""
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    sep = st.sampled_from(["", " ", "-", " - "])
    return st.builds(lambda lead, s1, s2, s3, s4, br: f"{lead}{s1}{'(' + a + ')' if br else a}{s2}{b}{s3}{c}{s4}{d}",
                     st.sampled_from(["+7", "8", "7", "+7 ", "8 "]), sep, sep, sep, sep, st.booleans())


@given(ru_mobile.flatmap(lambda n: st.tuples(st.just(n), spellings(n))))
def test_any_spelling_of_a_russian_number_finds_its_e164_digits(case):
    national, written = case
    e164 = "7" + national
    prefixes = phone_prefixes(written)
    assert e164 in prefixes  # whole number: the E.164 digits themselves
    keys = finding_keys({"kind": "phone", "value": "+" + e164})
    assert (keys.digits, keys.national) == (e164, national)
    # ... and what the analysis stage reads from the same text is the number the query names
    (found,) = find_phones(fold(written))
    assert found.value == "+" + e164


@given(ru_mobile, st.integers(4, 11))
def test_a_prefix_of_at_least_four_digits_matches(national, length):
    e164 = "7" + national
    assert any(e164.startswith(p) for p in phone_prefixes(e164[:length]))
    assert any(e164.startswith(p) for p in phone_prefixes("+" + e164[:length]))


@given(st.text(st.sampled_from("0123456789 -()"), max_size=3))
def test_fewer_than_four_digits_is_not_a_phone_query(text):
    assert phone_prefixes(text) == () or sum(c.isdigit() for c in text) >= 4


def test_phone_prefixes():
    assert phone_prefixes("89991234567") == ("89991234567", "79991234567")  # the Russian trunk 8
    assert phone_prefixes("+89991234567") == ("89991234567",)  # "+8...": a country code, not a trunk
    assert phone_prefixes("0079991234567") == ("0079991234567", "79991234567")
    assert phone_prefixes("7999") == ("7999",) and phone_prefixes("799") == ()
    assert phone_prefixes("+7 999 abc") == () and phone_prefixes("7999 рублей") == ()


def test_phone_finding_keys():
    keys = finding_keys({"kind": "phone", "value": "+8613812345678"})
    assert (keys.digits, keys.national) == ("8613812345678", "13812345678")
    assert finding_keys({"kind": "wechat", "value": "13812345678"}).digits == "13812345678"
    assert finding_keys({"kind": "wechat", "value": "Army_Recruit"}).key == "army_recruit"


amounts = st.integers(1, 10**9)


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@given(amounts, st.sampled_from(["", ",", " ", "\u00a0"]))
def test_a_number_in_any_grouping_is_that_amount(n, sep):
    text = grouped(n, sep) if sep else str(n)
    assert amount_query(text) == AmountQuery(float(n))


@given(st.integers(1, 99_999))
def test_wan_is_ten_thousand(n):
    assert amount_query(f"{n}万") == AmountQuery(n * 10_000.0)


@given(amounts, st.sampled_from(["рублей", "卢布", "RUB", "₽"]))
def test_an_amount_with_its_currency(n, currency):
    text = f"{grouped(n, ',')} {currency}"
    assert amount_query(text) == AmountQuery(float(n), None, "RUB")
    # the same value as the analysis stage stores for that text
    (found,) = find_money(fold(text))
    assert found.value == f"{format_amount(n)} RUB" and found.money is not None
    assert finding_keys({"kind": "money", "value": found.value, "money": {"amount": found.money.amount,
                                                                         "currency": "RUB"}}).amount == n


def test_what_is_not_an_amount():
    for text in ("军", "一", "万", "签约", "2024年3月15日", "контракт", "", "7999 abc"):
        assert amount_query(text) is None, text
    assert amount_query("两百万") == AmountQuery(2_000_000.0)
    assert amount_query("7700-27000 USD") == AmountQuery(7700.0, 27000.0, "USD")


def test_value_keys():
    assert value_keys("@Army_Recruit") == ("army_recruit",)
    assert value_keys("https://t.me/Army_Recruit") == ("army_recruit",)
    assert value_keys("https://www.Контракт.рф/") == ("контракт.рф",)
    assert value_keys("Join@Army.ru") == ("join@army.ru",)
    assert value_keys("签约") == () and value_keys("два слова") == ()


@given(st.text(max_size=30))
def test_any_query_parses(query):
    parsed = ValueQuery.parse(query)
    assert all(len(p) >= 4 and p.isdigit() for p in parsed.phone_prefixes)


def test_video_url():
    assert video_url("https://www.douyin.com/video/1", "https://v.douyin.com/x/") == "https://www.douyin.com/video/1"
    assert video_url(None, "https://cdn.example.com/a.mp4") == "https://cdn.example.com/a.mp4"
    assert video_url("file:///srv/a.mp4", "https://cdn.example.com/a.mp4") == "https://cdn.example.com/a.mp4"
    assert video_url("/srv/a.mp4", "https://cdn.example.com/a.mp4") == "https://cdn.example.com/a.mp4"
    assert video_url(None, "/clips/local.mp4") == "/clips/local.mp4"  # no URL: the local file's path
    assert video_url(None, "") is None


@given(st.one_of(st.none(), st.text(max_size=20)), st.one_of(st.none(), st.text(max_size=20)),
       st.sampled_from(["https://a.example/x", "http://b.example", "ftp://c.example/f"]))
def test_a_url_always_wins_over_a_path(page, source, url):
    assert is_web_url(video_url(page, url)) and is_web_url(video_url(url, source))
    chosen = video_url(page, source)
    assert chosen is None or chosen in (page, source)
    if is_web_url(page) or is_web_url(source):
        assert is_web_url(chosen)
