"""Money: (text, [(normalised value, raw span)]) tables in Chinese, Russian and English, with the
traps that must not read as money: dates, times, years, percentages, IDs, phone numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.analysis.money import find_money, parse_quantity
from vidscribe.analysis.text import fold


def found(text: str) -> list[tuple[str, str]]:
    folded = fold(text)
    return [(m.value, text[m.start:m.end]) for m in find_money(folded)]


CHINESE = [
    ("签约奖金两百万卢布", [("2000000 RUB", "两百万卢布")]),
    ("簽約獎金兩百萬盧布", [("2000000 RUB", "兩百萬盧布")]),  # traditional, folded before matching
    ("月薪二十万卢布 电话 +7 999 123-45-67", [("200000 RUB/month", "二十万卢布")]),
    ("一次性奖金7700到27000美元", [("7700-27000 USD", "7700到27000美元")]),
    ("签约奖金从7700美元到27000美元不等", [("7700-27000 USD", "7700美元到27000美元")]),
    ("月薪约2400美元", [("2400 USD/month", "2400美元")]),
    ("每月2400美元", [("2400 USD/month", "2400美元")]),
    ("月薪20-30万卢布", [("200000-300000 RUB/month", "20-30万卢布")]),
    ("2万到5万卢布", [("20000-50000 RUB", "2万到5万卢布")]),
    ("7700到2.7万美元", [("7700-27000 USD", "7700到2.7万美元")]),
    ("月薪2.4万元", [("24000 CNY/month", "2.4万元")]),
    ("一万五千元每月", [("15000 CNY/month", "一万五千元")]),
    ("3000元/月", [("3000 CNY/month", "3000元")]),
    ("2万卢布一个月", [("20000 RUB/month", "2万卢布")]),
    ("人民币20万", [("200000 CNY", "人民币20万")]),
    ("年薪30万人民币，签约奖金200万卢布", [("300000 CNY/year", "30万人民币"), ("2000000 RUB", "200万卢布")]),
    ("单笔奖金最高可达195万卢布（约合人民币17万元）", [("1950000 RUB", "195万卢布"), ("170000 CNY", "人民币17万元")]),
    ("日薪￥800", [("800 CNY/day", "￥800")]),
    ("每天五百块钱", [("500 CNY/day", "五百块钱")]),
    ("安家费100万欧元", [("1000000 EUR", "100万欧元")]),
]

RUSSIAN = [
    ("Зарплата от 200 000 рублей в месяц", [("200000 RUB/month", "200 000 рублей")]),
    ("от 200 до 500 тысяч рублей", [("200000-500000 RUB", "200 до 500 тысяч рублей")]),
    ("от 200 тыс. до 2 млн руб.", [("200000-2000000 RUB", "200 тыс. до 2 млн руб.")]),
    ("Единовременная выплата 195 тыс. руб.", [("195000 RUB", "195 тыс. руб.")]),
    ("выплата 1 950 000 ₽", [("1950000 RUB", "1 950 000 ₽")]),
    ("1,5 млн рублей", [("1500000 RUB", "1,5 млн рублей")]),
    ("2 млн. рублей", [("2000000 RUB", "2 млн. рублей")]),
    ("200к рублей сразу", [("200000 RUB", "200к рублей")]),
    ("оклад 200 т.р.", [("200000 RUB", "200 т.р.")]),
    ("2 400 долларов в месяц", [("2400 USD/month", "2 400 долларов")]),
    ("двести тысяч рублей", [("200000 RUB", "двести тысяч рублей")]),
    ("в 2024 году 200 000 рублей", [("200000 RUB", "200 000 рублей")]),
    ("ежемесячно 210 000 ₽", [("210000 RUB/month", "210 000 ₽")]),
    ("премия 5000 евро", [("5000 EUR", "5000 евро")]),
]

ENGLISH = [
    ("signing bonus of $7,700 to $27,000", [("7700-27000 USD", "$7,700 to $27,000")]),
    ("$2,400 a month", [("2400 USD/month", "$2,400")]),
    ("US$2400/month", [("2400 USD/month", "US$2400")]),
    ("USD 2400 per month", [("2400 USD/month", "USD 2400")]),
    ("The bonus is two million roubles.", [("2000000 RUB", "two million roubles")]),
    ("a $2m package", [("2000000 USD", "$2m")]),
    ("about 2,400 dollars monthly", [("2400 USD/month", "2,400 dollars")]),
    ("€500 per week", [("500 EUR/week", "€500")]),
    ("$2,400 - 3 years of service", [("2400 USD", "$2,400")]),  # a dash, not a range: 3 < 2400
    ("面议 2000$", [("2000 USD", "2000$")]),
]

TRAPS = [
    "2024年3月15日", "15.03.2024", "2024-03-15", "12:30", "下午12:30集合", "30%的人", "2024年",
    "订单号20240315123456", "电话 +7 999 123-45-67", "8 800 555-35-35", "年龄18-45岁", "服役一年",
    "1月1日元旦", "5000日元",  # 日元 is yen (not handled), 元旦 is New Year's Day
    "千万不要错过", "One of the best", "contract for one year", "ID 1234567890", "第2期",
]


@pytest.mark.parametrize(("text", "expected"), CHINESE + RUSSIAN + ENGLISH)
def test_money(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", TRAPS)
def test_not_money(text):
    assert found(text) == []


def test_money_details_are_typed():
    (m,) = find_money(fold("月薪20-30万卢布"))
    assert m.money is not None
    assert (m.money.amount, m.money.amount_max, m.money.currency, m.money.period) == (200000, 300000, "RUB", "month")


def test_period_does_not_reach_back_past_another_amount():
    values = [m.value for m in find_money(fold("月薪20万卢布，奖金200万卢布"))]
    assert values == ["200000 RUB/month", "2000000 RUB"]


def test_period_stays_in_its_clause():
    assert [m.value for m in find_money(fold("月薪高，签约奖金200万卢布"))] == ["2000000 RUB"]


@given(st.integers(0, 10**12), st.sampled_from(["", ",", " ", "."]))
def test_parse_quantity_reads_grouped_digits(n, sep):
    text = f"{n:,}".replace(",", sep) if sep else str(n)
    if sep == "." and text.count(".") == 1:
        return  # "1.500" is a decimal, not thousands
    assert parse_quantity(text) == n


def test_parse_quantity():
    assert parse_quantity("200万") == parse_quantity("两百万") == parse_quantity("2 млн") == 2_000_000
    assert parse_quantity("1,5 млн") == 1_500_000 and parse_quantity("200k") == 200_000
    for text in ("一", "万", "军", "200万卢布", "2024年", "", "abc", "7 999 abc"):
        assert parse_quantity(text) is None, text
