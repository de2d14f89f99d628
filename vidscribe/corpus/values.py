"""Normalised values, so a journalist finds a number in whatever spelling they have it.

The analysis stage stores each finding's value normalised (`+79991234567`, `2000000 RUB`,
`@name`, `host/path`). The index keeps search keys derived from those values (`finding_keys`),
and a query is read the same way (`ValueQuery.parse`):

- a query that looks like a phone number (digits, spaces, dashes, brackets, dots, a leading "+")
  matches phone findings (and WeChat IDs that are numbers) whose E.164 digits or national number
  start with its digits, at least `MIN_PHONE_DIGITS` of them: "+7 (999) 123-45-67", "+79991234567",
  "7999", "9991234567"; without a "+", a leading Russian trunk "8" also reads as "+7"
  ("89991234567") and a leading "00" as "+";
- a query that is a number ("2000000", "2,000,000", "200万", "两百万") matches money findings
  whose amount (or either end of a range) equals it; with a currency ("2,000,000 рублей",
  "$7,700") only amounts in that currency;
- a query that is a handle, ID, email or URL ("@army_recruit", "t.me/army_recruit",
  "https://www.Контракт.рф/") matches Telegram, handle, account, WeChat, email and URL findings
  with that normalised value.

All of it is pure: no database here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers

from vidscribe.analysis.contacts import find_contacts
from vidscribe.analysis.money import find_money, parse_quantity
from vidscribe.analysis.text import fold

MIN_PHONE_DIGITS = 4
MAX_PHONE_DIGITS = 17  # E.164 allows 15; a little slack for an extension typed along
_PHONE_QUERY = re.compile(r"\+?[\d\s\-().]+")
_ID_QUERY = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9_.\-]{1,63}")
_NAME_KINDS = ("telegram", "handle", "account", "wechat")  # values that are names: "@" optional
_KEY_KINDS = (*_NAME_KINDS, "email", "url")
_TRAILING = " .,;:!?)]}>'\"…"
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s]")


# --- the video's address ------------------------------------------------------------------------


def is_web_url(text: str | None) -> bool:
    """A URL on the network (http://, https://, ...), not a local path nor a file:// URL."""
    return bool(text) and bool(_URL_SCHEME.match(text or "")) and not (text or "").lower().startswith("file:")


def video_url(webpage_url: str | None, source: str | None) -> str | None:
    """Where a reader finds the video: the web page URL, else the source URL; a local path (or
    file:// URL) only when neither is a URL, so a local file keeps its path."""
    for candidate in (webpage_url, source):
        if is_web_url(candidate):
            return candidate
    return source or webpage_url or None


# --- keys of a finding --------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingKeys:
    key: str | None = None  # names, emails, URLs: lowercase, no leading "@"
    digits: str | None = None  # phones (and WeChat IDs that are numbers): digits of the E.164 form
    national: str | None = None  # phones: the national significant number
    amount: float | None = None
    amount_max: float | None = None
    currency: str | None = None


def name_key(value: str) -> str:
    return value.strip().lower().lstrip("@")


def phone_digits(value: str) -> tuple[str | None, str | None]:
    """(E.164 digits, national significant number) of a normalised phone value."""
    digits = re.sub(r"\D", "", value)
    if not digits:
        return None, None
    national = None
    if value.startswith("+"):
        try:
            national = phonenumbers.national_significant_number(phonenumbers.parse(value, None))
        except phonenumbers.NumberParseException:
            national = None
    return digits, national or None


def finding_keys(finding: dict[str, Any]) -> FindingKeys:
    """The search keys of one finding as stored in transcript.json."""
    kind = finding.get("kind")
    value = finding.get("value")
    if not isinstance(value, str):
        return FindingKeys()
    if kind == "phone":
        return FindingKeys(None, *phone_digits(value))
    if kind == "money":
        money = finding.get("money") if isinstance(finding.get("money"), dict) else {}
        return FindingKeys(amount=_number(money.get("amount")), amount_max=_number(money.get("amount_max")),
                           currency=money.get("currency") if isinstance(money.get("currency"), str) else None)
    if kind == "wechat" and re.fullmatch(r"\+?\d{5,}", value):
        return FindingKeys(name_key(value), value.lstrip("+"))
    if kind in _KEY_KINDS:
        return FindingKeys(name_key(value) if kind in _NAME_KINDS else value.strip().lower())
    return FindingKeys()


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# --- a query ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AmountQuery:
    amount: float
    amount_max: float | None = None  # a range was asked for: both ends must match
    currency: str | None = None


@dataclass(frozen=True)
class ValueQuery:
    phone_prefixes: tuple[str, ...] = ()
    amount: AmountQuery | None = None
    keys: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.phone_prefixes or self.amount or self.keys)

    @classmethod
    def parse(cls, query: str) -> ValueQuery:
        folded = fold(query).strip()
        return cls(phone_prefixes(folded), amount_query(folded), value_keys(folded))


def phone_prefixes(query: str) -> tuple[str, ...]:
    """Digit strings a phone finding's E.164 digits or national number must start with, or ()
    when `query` (folded) does not look like a phone number."""
    q = query.strip()
    if not _PHONE_QUERY.fullmatch(q):
        return ()
    digits = re.sub(r"\D", "", q)
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        return ()
    out = [digits]
    if not q.startswith("+"):
        if digits.startswith("00"):
            out.append(digits[2:])  # the international call prefix
        elif digits.startswith("8"):
            out.append("7" + digits[1:])  # the Russian trunk prefix: 8 999 ... is +7 999 ...
    return tuple(d for d in dict.fromkeys(out) if len(d) >= MIN_PHONE_DIGITS)


def _whole(start: int, end: int, text: str) -> bool:
    """The span covers all of `text` but surrounding spaces and trailing punctuation."""
    return not text[:start].strip() and not text[end:].strip(_TRAILING)


def amount_query(query: str) -> AmountQuery | None:
    """The amount `query` (folded) names when it is a number, or an amount with its currency."""
    q = query.strip()
    money = [m for m in find_money(q) if m.money is not None and _whole(m.start, m.end, q)]
    if money and money[0].money is not None:
        found = money[0].money
        return AmountQuery(found.amount, found.amount_max, found.currency)
    value = parse_quantity(q)
    return AmountQuery(value) if value is not None else None


def value_keys(query: str) -> tuple[str, ...]:
    """Finding keys `query` (folded) names: a bare name or ID, a handle, link, email or URL."""
    q = query.strip()
    keys: list[str] = []
    if _ID_QUERY.fullmatch(q):
        keys.append(name_key(q))
    if 2 <= len(q) <= 300:
        for m in find_contacts(q):
            if m.kind in _KEY_KINDS and _whole(m.start, m.end, q):
                keys.append(name_key(m.value) if m.kind in _NAME_KINDS else m.value.lower())
    return tuple(k for k in dict.fromkeys(keys) if k)
