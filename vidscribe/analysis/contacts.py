"""Contacts: phone numbers (E.164, via libphonenumber), Telegram handles and links, WeChat IDs,
emails and URLs.

Numbers without a country code are tried in each of `regions` in order: a Russian "8 999 ..."
is only valid as RU, a Chinese "138 1234 5678" only as CN. Digits right after an ID label
(抖音号, 订单号, QQ, ID, ...) are that ID, not a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from vidscribe.analysis.text import Match

DEFAULT_REGIONS = ("RU", "CN")

# Labels after which a digit run is an identifier. Checked on the text just before the number.
_ID_LABEL = re.compile(
    r"(?<![a-z])(?:抖音号|抖音id|快手号|快手id|小红书号|视频号|uid|id|qq号?|工号|订单号?|单号|编号|编码|身份证号?|"
    r"邀请码|验证码|代码|账号|帐号|заказ\w*|артикул\w*|№|#|order(?:\s+no\.?)?|code)"
    r"[\s:：#№.]*$", re.IGNORECASE)


def find_phones(text: str, regions: Sequence[str] = DEFAULT_REGIONS) -> list[Match]:
    taken: list[tuple[int, int]] = []
    out: list[Match] = []
    for region in regions:
        for m in PhoneNumberMatcher(text, region.upper(), leniency=Leniency.VALID):
            if any(m.start < e and s < m.end for s, e in taken):
                continue  # an earlier region already read these digits
            taken.append((m.start, m.end))
            if _ID_LABEL.search(text[max(0, m.start - 16):m.start]):
                continue
            e164 = phonenumbers.format_number(m.number, PhoneNumberFormat.E164)
            out.append(Match("phone", e164, m.start, m.end,
                             region=phonenumbers.region_code_for_number(m.number)))
    return sorted(out, key=lambda x: x.start)


# Telegram usernames: 5-32 characters, a letter first, letters, digits and underscores.
_TG_NAME = r"[A-Za-z][A-Za-z0-9_]{3,31}"
_TG_LINK = re.compile(
    rf"(?:https?://)?(?:www\.)?(?:t|telegram)\.(?:me|dog)/(?:(?:joinchat/|\+)(?P<invite>[A-Za-z0-9_-]{{10,}})"
    rf"|(?:s/)?(?P<name>{_TG_NAME}))(?![\w/])|tg://resolve\?domain=(?P<domain>{_TG_NAME})", re.IGNORECASE)
_TG_CUE = r"telegram|телеграм\w*|телега|(?<![a-z])tg(?![a-z])|(?<![а-я])тг(?![а-я])|电报|纸飞机|飞机号|飞机群"
_TG_LABELLED = re.compile(rf"(?:{_TG_CUE})\s*(?:channel|канал|频道|群|号)?\s*[:：]\s*(?P<at>@)?(?P<name>{_TG_NAME})"
                          r"(?![\w@])", re.IGNORECASE)
_TG_CUE_RE = re.compile(_TG_CUE, re.IGNORECASE)
_AT_HANDLE = re.compile(rf"(?<![\w.@/])@(?P<name>{_TG_NAME}|[A-Za-z0-9_.]{{2,30}}[A-Za-z0-9_])(?![\w@])")


def find_telegram(text: str) -> list[Match]:
    """t.me links, "Telegram: name", and @names in a line that mentions Telegram (else "handle")."""
    out: list[Match] = []
    for m in _TG_LINK.finditer(text):
        if m.group("invite"):
            out.append(Match("telegram", "t.me/+" + m.group("invite"), m.start(), m.end()))
        else:
            out.append(Match("telegram", "@" + (m.group("name") or m.group("domain")).lower(), m.start(), m.end()))
    for m in _TG_LABELLED.finditer(text):
        start = m.start("at") if m.group("at") else m.start("name")  # raw: the name as shown, "@" included
        out.append(Match("telegram", "@" + m.group("name").lower(), start, m.end()))
    mentions_telegram = bool(_TG_CUE_RE.search(text))
    for m in _AT_HANDLE.finditer(text):
        is_tg = mentions_telegram and re.fullmatch(_TG_NAME, m.group("name")) is not None
        out.append(Match("telegram" if is_tg else "handle", "@" + m.group("name").lower(), m.start(), m.end()))
    return _first_per_span(out)


# WeChat: 微信/VX/V信/wx and look-alike spellings used to dodge platform filters, then the ID:
# 6-20 characters starting with a letter, or a phone/QQ-style number.
_WECHAT = re.compile(
    r"(?:微信号?|weixin|wechat|(?<![a-z])(?:vx|wx|v信|加v|➕v)(?![a-z])|薇信|威信|维信|徽信)"
    r"\s*(?:同号|号|id)?\s*[:：]?\s*(?P<id>[A-Za-z][-_A-Za-z0-9]{5,19}|\+?\d[\d\s-]{4,16}\d)(?![\w-])",
    re.IGNORECASE)
_WECHAT_SAME = re.compile(r"(?:微信|vx|v信|wx)\s*同号|同微信", re.IGNORECASE)


def find_wechat(text: str, phones: Sequence[Match] = ()) -> list[Match]:
    """WeChat IDs; with "微信同号" (WeChat is the same number) the line's phone numbers count too."""
    out = [Match("wechat", re.sub(r"[\s-]", "", m.group("id")), m.start("id"), m.end("id"))
           for m in _WECHAT.finditer(text)]
    if _WECHAT_SAME.search(text):
        seen = {(m.start, m.end) for m in out}
        out += [Match("wechat", re.sub(r"\D", "", text[p.start:p.end]), p.start, p.end)
                for p in phones if (p.start, p.end) not in seen]
    return out


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w])")
_TLDS = "com|ru|cn|net|org|me|io|su|рф|info|biz|tv|cc|xyz|top|site|online|gov|mil|ua|by|kz|link|app|de|uk"
_URL = re.compile(
    rf"https?://[^\s<>\"'，。、；！？（）【】「」《》]+|(?<![\w.@/-])(?:www\.)?(?:[a-zа-яё0-9][a-zа-яё0-9-]*\.)+(?:{_TLDS})"
    r"(?![\w.-]*@)(?![a-zа-яё0-9-])(?:[/?#][^\s<>\"'，。、；！？（）【】「」《》]*)?", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>'\"…"


def find_emails(text: str) -> list[Match]:
    return [Match("email", m.group().lower(), m.start(), m.end()) for m in _EMAIL.finditer(text)]


def find_urls(text: str) -> list[Match]:
    """URLs with or without a scheme, normalised to host/path (lowercase host, no scheme or www.).

    t.me links are left to `find_telegram`, and the domains of email addresses are skipped.
    """
    emails = [(m.start, m.end) for m in find_emails(text)]
    out: list[Match] = []
    for m in _URL.finditer(text):
        raw = m.group().rstrip(_TRAILING)
        start, end = m.start(), m.start() + len(raw)
        if any(s <= start < e for s, e in emails) or _TG_LINK.match(raw):
            continue
        out.append(Match("url", normalise_url(raw), start, end))
    return out


def normalise_url(raw: str) -> str:
    rest = re.sub(r"^[a-z]+://", "", raw, flags=re.IGNORECASE)
    host, sep, path = rest.partition("/")
    host = host.lower().removeprefix("www.")
    path = path.rstrip("/")
    return host + (sep + path if path else "")


def find_contacts(text: str, regions: Sequence[str] = DEFAULT_REGIONS) -> list[Match]:
    """All contact kinds in `text` (normalised with `fold`), in order of position."""
    phones = find_phones(text, regions)
    out = [*phones, *find_telegram(text), *find_wechat(text, phones), *find_emails(text), *find_urls(text)]
    return sorted(out, key=lambda m: (m.start, m.kind))


def _first_per_span(matches: list[Match]) -> list[Match]:
    """Drop a match that overlaps an earlier-listed one (the link beats the @name inside it)."""
    kept: list[Match] = []
    for m in matches:
        if not any(m.start < k.end and k.start < m.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)
