"""Money: amounts with a currency, normalised to a number and an ISO 4217 code.

"签约奖金两百万卢布" -> 2000000 RUB; "7700到27000美元" -> 7700-27000 USD; "月薪20万卢布" ->
200000 RUB per month; "от 200 до 500 тыс. руб." -> 200000-500000 RUB; "$2,400 a month".

A number counts as money only next to a currency word or sign: that is what keeps dates
(2024年3月15日, 15.03.2024), times, percentages, IDs and phone numbers out.
"""

from __future__ import annotations

import re

from vidscribe.analysis.numerals import (
    ARABIC,
    CHINESE,
    MULTIPLIERS,
    WORDS,
    format_amount,
    parse_arabic,
    parse_chinese,
    parse_words,
)
from vidscribe.analysis.text import Match
from vidscribe.chinese import HAN
from vidscribe.transcripts.model import Money

# Currency written after the amount. Order matters where one is a prefix of another.
_POST = {
    "RUB": r"卢布|руб(?:лей|ля|ль|\.)?(?!\w)|р\.(?!\w)|(?<=\d)р(?![\w-])|₽|rub(?:les?)?\b|roubles?\b",
    "USD": r"美元|美金|\$|usd\b|долл(?:ар(?:ов|а|ы)?|\.)?(?!\w)|dollars?\b|бакс(?:ов|а)?(?!\w)",
    "CNY": r"人民币|元(?![旦化素首帅宵勋])|块钱|rmb\b|cny\b|[¥￥]|юан(?:ей|я|ь|и)?(?!\w)|yuan\b",
    "EUR": r"欧元|€|eur\b|евро(?!\w)|euros?\b",
}
# Currency written before the amount ("$7,700", "人民币20万", "USD 2400").
_PRE = {
    "RUB": r"₽|rub\b",
    "USD": r"us\$|\$|usd\b|美元|美金",
    "CNY": r"[¥￥]|rmb\b|cny\b|人民币",
    "EUR": r"€|eur\b",
}
_THOUSAND_RUB = r"т\.\s?р\.?(?!\w)|тыс\.\s?руб\.?(?!\w)"  # "200 т.р.": thousand roubles


def _alternation(table: dict[str, str], prefix: str) -> str:
    return "|".join(f"(?P<{prefix}_{code}>{pattern})" for code, pattern in table.items())


_MULT_WORDS = sorted((w for w in MULTIPLIERS if len(w) > 1 and not HAN.match(w)),
                     key=len, reverse=True)
# Multiplier words after a number; single letters (200k, 200к, $2m) only when attached to it.
_MULT = rf"(?:(?:{'|'.join(_MULT_WORDS)})(?!\w)\.?|(?<=\d)[kкm](?!\w)|[万亿千])"
_QTY = rf"(?:{CHINESE}|{ARABIC}|{WORDS})(?:\s*{_MULT})*"
_RANGE = r"(?:-|–|—|−|~|～|〜|－|到|至|to\b|до\b)"


def _qty(name: str) -> str:
    return f"(?P<{name}>{_QTY})"


def _group(name: str, body: str) -> str:
    return f"(?P<{name}>{body.replace('(?P<', f'(?P<{name}')})"


_MONEY = re.compile(
    rf"(?:{_group('p1', _alternation(_PRE, ''))}\s*)?{_qty('lo')}"
    rf"(?:\s*(?:(?P<k1>{_THOUSAND_RUB})|{_group('c1', _alternation(_POST, ''))}))?"
    rf"(?:\s*{_RANGE}\s*(?:{_group('p2', _alternation(_PRE, ''))}\s*)?{_qty('hi')})?"
    rf"(?:\s*(?:(?P<k2>{_THOUSAND_RUB})|{_group('c2', _alternation(_POST, ''))}))?",
    re.IGNORECASE,
)

_HAS_DIGIT = re.compile(r"[\d零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖十拾]|[a-zа-яё]", re.IGNORECASE)
_QTY_SPLIT = re.compile(rf"^(?P<num>{CHINESE}|{ARABIC}|{WORDS})(?P<mults>.*)$", re.IGNORECASE | re.DOTALL)
_MULT_ONE = re.compile(_MULT, re.IGNORECASE)

_PERIODS = {  # (said before the amount, said after it)
    "month": (r"月薪|每月|每个月|月入|月收入|月工资|monthly|ежемесячн\w*|в месяц",
              r"(?:/|每|一个|一|per\s+|a\s+|в\s+|за\s+|/\s*)(?:月|month\b|mo\b|месяц|мес\b\.?)|monthly\b|"
              r"ежемесячно"),
    "year": (r"年薪|每年|年收入|annual(?:ly)?|yearly|в год|ежегодн\w*",
             r"(?:/|每|一|per\s+|a\s+|в\s+|за\s+)(?:年|year\b|yr\b|год\b)|annually\b|ежегодно"),
    "week": (r"周薪|每周|weekly|в неделю|еженедельн\w*",
             r"(?:/|每|一|per\s+|a\s+|в\s+|за\s+)(?:周|星期|week\b|неделю\b)|weekly\b"),
    "day": (r"日薪|每天|每日|daily|в день|ежедневн\w*",
            r"(?:/|每|一|per\s+|a\s+|в\s+|за\s+)(?:天|日|day\b|день\b|сутки\b)|daily\b"),
}
_BEFORE = {p: re.compile(f"(?:{b})", re.IGNORECASE) for p, (b, _) in _PERIODS.items()}
_AFTER = {p: re.compile(rf"^[\s,，、:：]*(?:{a})", re.IGNORECASE) for p, (_, a) in _PERIODS.items()}
_BEFORE_WINDOW = 16  # characters before an amount searched for 月薪, в месяц, ...
_CLAUSE_END = re.compile(r"[,;!?。、\n]")  # the before-window stops at the clause before (text is folded: ，-> ,)
_AFTER_WINDOW = 16


_CN_TRAILING = re.compile(r"^(?P<base>.*?)(?P<units>[万亿千百]+)$")
_WORD_SCALES = re.compile(r"^(?P<base>.*?)(?P<units>(?:[\s-]*(?:hundred|thousand|million|billion|тысяч\w*|"
                          r"миллион\w*|миллиард\w*))+)$", re.IGNORECASE)


def _value(qty: str) -> tuple[float, bool, float]:
    """(value, whether it ends in a multiplier, the numeral before that multiplier).

    "30万" -> (300000, True, 30); "two million" -> (2e6, True, 2); "7700" -> (7700, False, 7700).
    The base is what a bare lower bound is compared with: "20-30万" is 200000-300000.
    """
    m = _QTY_SPLIT.match(qty.strip())
    assert m is not None
    num = m.group("num")
    if HAN.search(num):
        value, parse, trailing = parse_chinese(num), parse_chinese, _CN_TRAILING.match(num)
    elif re.match(r"\d", num):
        value, parse, trailing = parse_arabic(num), parse_arabic, None
    else:
        value, parse, trailing = parse_words(num), parse_words, _WORD_SCALES.match(num)
    base = parse(trailing.group("base")) if trailing and trailing.group("base").strip() else value
    if trailing and not trailing.group("base").strip():
        base = 1.0
    # Searched in place: the look-behind of "200k" must see the digit before the letter.
    mults = [x.group() for x in _MULT_ONE.finditer(qty.strip(), m.end("num"))]
    for word in mults:
        value *= MULTIPLIERS[word.lower().rstrip(".")]
    return value, bool(mults or trailing), base


def _currency(m: re.Match[str], *groups: str) -> str | None:
    for prefix in groups:
        for code in _POST:
            if m.group(f"{prefix}_{code}"):
                return code
    return None


def _period(text: str, start: int, end: int, floor: int) -> str | None:
    after = text[end:end + _AFTER_WINDOW]
    for period, pattern in _AFTER.items():
        if pattern.match(after):
            return period
    before = text[max(floor, start - _BEFORE_WINDOW):start]
    before = _CLAUSE_END.split(before)[-1]
    found = [(m.end(), period) for period, pattern in _BEFORE.items() for m in pattern.finditer(before)]
    return max(found)[1] if found else None


def find_money(text: str) -> list[Match]:
    """Amounts with a currency in `text` (normalised with `fold`), in order."""
    out: list[Match] = []
    floor = 0
    for m in _MONEY.finditer(text):
        if not _HAS_DIGIT.search(m.group("lo")):
            continue
        currency = _currency(m, "p1", "c1", "p2", "c2") or ("RUB" if m.group("k1") or m.group("k2") else None)
        if currency is None:
            continue
        lo, lo_mult, _ = _value(m.group("lo"))
        if m.group("k1"):
            lo *= 1000
        hi: float | None = None
        span_end = m.end()
        if m.group("hi"):
            hi, hi_mult, hi_base = _value(m.group("hi"))
            if m.group("k2"):
                hi *= 1000
                hi_mult = True
            if hi_mult and not lo_mult and lo < hi_base:  # "20-30万": the 万 is both ends'
                lo *= hi / hi_base if hi_base else 1
            if hi <= lo:  # "$2,400 - 3 years": not a range; keep the amount alone
                hi = None
                span_end = m.end("c1") if m.group("c1") else (m.end("k1") if m.group("k1") else m.end("lo"))
                if not (m.group("p1") or m.group("c1") or m.group("k1")):
                    continue
        elif m.group("k2"):
            lo *= 1000
        span_start = m.start()
        period = _period(text, span_start, span_end, floor)
        floor = span_end
        money = Money(amount=lo, currency=currency, amount_max=hi, period=period)
        out.append(Match("money", money_value(money), span_start, span_end, money=money))
    return out


_PLAIN_QTY = re.compile(rf"(?:{CHINESE}|{ARABIC})(?:\s*{_MULT})*", re.IGNORECASE)


def parse_quantity(text: str) -> float | None:
    """The value of `text` (folded) when it is one number in digits or Chinese numerals, with any
    grouping and multipliers: "2,000,000", "2 000 000", "200万", "两百万", "1,5 млн", "200k".
    None for anything else, and for a lone Chinese character ("一", "万": words, not amounts)."""
    text = text.strip()
    if not _PLAIN_QTY.fullmatch(text) or (len(text) < 2 and not text.isdigit()):
        return None
    return _value(text)[0]


def money_value(money: Money) -> str:
    """The normalised value: "7700-27000 USD", "200000 RUB/month"."""
    amount = format_amount(money.amount)
    if money.amount_max is not None:
        amount += "-" + format_amount(money.amount_max)
    return f"{amount} {money.currency}" + (f"/{money.period}" if money.period else "")
