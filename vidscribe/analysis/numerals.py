"""Numbers as recruiters write and say them: Arabic digits with any grouping, Chinese numerals
(两百万, 一万五, 2.4万), and English/Russian number words (two million, двести тысяч).

Each parser takes the text of one number as matched by the patterns below and returns its value.
"""

from __future__ import annotations

import re

# Arabic digits. Groups of exactly three after a space, comma or (repeated) dot are thousands:
# "27 000", "27,000", "1.500.000". A lone comma or dot otherwise is a decimal mark ("1,5 млн",
# "2.4万"). The look-arounds keep a number from starting or ending inside a longer digit run.
_SPACE = "[ \u00a0\u202f\u2009]"
ARABIC = (rf"(?<![\d.,])(?:\d{{1,3}}(?:{_SPACE}\d{{3}})+(?![\d])|\d{{1,3}}(?:,\d{{3}})+(?![\d])"
          rf"|\d{{1,3}}(?:\.\d{{3}}){{2,}}(?![\d])|\d+(?:[.,]\d+)?)(?![\d])")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4,
              "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
              "九": 9, "玖": 9}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
CN_UNITS = "".join([*_CN_SMALL, *_CN_BIG])
# A Chinese numeral, possibly mixed with Arabic digits ("2万5千", "1.5万", "两百万", "20-30万" is
# two numbers). It must contain a Chinese digit or unit; pure digits are ARABIC's.
_CN_CHAR = "".join(_CN_DIGITS) + CN_UNITS
CHINESE = rf"(?:\d+(?:\.\d+)?)?[{_CN_CHAR}](?:[{_CN_CHAR}]|\d+(?:\.\d+)?)*"

_CN_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{_CN_CHAR}]")


def parse_arabic(text: str) -> float:
    """Value of an ARABIC match: "27 000" -> 27000, "1,5" -> 1.5, "27,000" -> 27000."""
    t = re.sub(_SPACE, "", text)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", t):
        return float(t.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", t):
        return float(t.replace(".", ""))
    return float(t.replace(",", "."))


def parse_chinese(text: str) -> float:
    """Value of a Chinese numeral, Arabic digits allowed in place of Chinese ones.

    "两百万" 2000000, "二十七万" 270000, "一万五" 15000 (a bare digit after a unit counts in the
    next unit down), "一万零五" 10005, "二零二四" 2024 (digit by digit, as years are read).
    """
    total = 0.0  # completed 亿 and 万 sections
    section = 0.0  # below the current 万
    number: float | None = None  # the digit(s) waiting for a unit
    last_unit = 0  # the unit just before `number`, for the 一万五 abbreviation
    zero = False  # a 零 after that unit cancels the abbreviation
    for tok in _CN_TOKEN.findall(text):
        if tok in _CN_SMALL:
            unit = _CN_SMALL[tok]
            section += (1 if number is None else number) * unit
            number, last_unit, zero = None, unit, False
        elif tok in _CN_BIG:
            unit = _CN_BIG[tok]
            value = section + (number or 0)
            if unit == 100_000_000:
                total = (total + value) * unit
            else:
                total += (value or 1) * unit
            section, number, last_unit, zero = 0.0, None, unit, False
        else:
            digit = float(_CN_DIGITS[tok]) if tok in _CN_DIGITS else float(tok)
            if tok in ("零", "〇") and number is None and last_unit:
                zero = True
                continue
            if number is not None and tok in _CN_DIGITS and float(number).is_integer():
                number = number * 10 + digit  # 二零二四
            else:
                number = digit
    if number is not None:
        if last_unit and not zero and number < 10:
            number *= last_unit / 10
        section += number
    return total + section


_EN_UNITS = {w: i for i, w in enumerate([
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_EN_TENS = {w: (i + 2) * 10 for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
_RU_UNITS = {
    "ноль": 0, "один": 1, "одна": 1, "одну": 1, "одного": 1, "два": 2, "две": 2, "двух": 2, "три": 3,
    "трех": 3, "трёх": 3, "четыре": 4, "четырех": 4, "четырёх": 4, "пять": 5, "пяти": 5, "шесть": 6,
    "шести": 6, "семь": 7, "семи": 7, "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9,
    "десять": 10, "десяти": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "двадцати": 20, "тридцать": 30, "тридцати": 30, "сорок": 40,
    "пятьдесят": 50, "пятидесяти": 50, "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80,
    "девяносто": 90, "сто": 100, "ста": 100, "двести": 200, "двухсот": 200, "триста": 300,
    "трехсот": 300, "трёхсот": 300, "четыреста": 400, "пятьсот": 500, "пятисот": 500, "шестьсот": 600,
    "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
}
_HUNDRED = {"hundred"}
# Words that multiply what precedes them; also accepted after Arabic digits ("2 млн", "200k").
MULTIPLIERS: dict[str, float] = {
    "thousand": 1e3, "thousands": 1e3, "k": 1e3, "к": 1e3, "тыс": 1e3, "тысяча": 1e3, "тысячи": 1e3,
    "тысяч": 1e3, "тысячу": 1e3, "тысячами": 1e3, "million": 1e6, "millions": 1e6, "mln": 1e6, "mn": 1e6,
    "m": 1e6, "млн": 1e6, "миллион": 1e6, "миллиона": 1e6, "миллионов": 1e6, "billion": 1e9, "bn": 1e9,
    "млрд": 1e9, "миллиард": 1e9, "миллиарда": 1e9, "миллиардов": 1e9,
    **{k: float(v) for k, v in _CN_BIG.items()}, "千": 1e3, "百万": 1e6, "千万": 1e7, "十万": 1e5,
}
_NUMBER_WORDS = sorted([*_EN_UNITS, *_EN_TENS, *_RU_UNITS], key=len, reverse=True)
_SCALE_WORDS = ["hundred", "thousand", "million", "billion", "тысяча", "тысячи", "тысяч", "тысячу",
                "миллиона", "миллионов", "миллион", "миллиарда", "миллиардов", "миллиард"]
_WORD = "(?:" + "|".join(_NUMBER_WORDS) + ")"
_ANY_WORD = "(?:" + "|".join(sorted([*_NUMBER_WORDS, *_SCALE_WORDS], key=len, reverse=True)) + ")"
# A run of number words that starts with a number (not "million" alone): "two million",
# "twenty-seven thousand", "двести тысяч", "one hundred and fifty".
WORDS = rf"\b{_WORD}(?:(?:[\s-]+|\s+and\s+){_ANY_WORD})*\b"


def parse_words(text: str) -> float:
    """Value of a WORDS match, English or Russian."""
    total = 0.0
    current = 0.0
    for word in re.findall(r"\w+", text.lower()):
        if word == "and":
            continue
        if word in _EN_UNITS:
            current += _EN_UNITS[word]
        elif word in _EN_TENS:
            current += _EN_TENS[word]
        elif word in _RU_UNITS:
            current += _RU_UNITS[word]
        elif word in _HUNDRED:
            current = (current or 1) * 100
        elif word in MULTIPLIERS:
            total += (current or 1) * MULTIPLIERS[word]
            current = 0.0
    return total + current


def format_amount(value: float) -> str:
    """"27000", "1.5": no exponent, no trailing zeros (values here are money, never tiny)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")
