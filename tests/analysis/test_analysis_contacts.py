"""Contacts: (text, [(kind, normalised value)]) tables with the traps that look like phone
numbers but are dates, times, order numbers and platform IDs."""

from __future__ import annotations

import pytest

from vidscribe.analysis.contacts import find_contacts, normalise_url
from vidscribe.analysis.text import fold


def found(text: str, regions=("RU", "CN")) -> list[tuple[str, str]]:
    return [(m.kind, m.value) for m in find_contacts(fold(text), regions)]


PHONES = [
    ("电话 +7 999 123-45-67", [("phone", "+79991234567")]),
    ("Звоните: 8 999 123-45-67", [("phone", "+79991234567")]),
    ("8(999)123-45-67", [("phone", "+79991234567")]),
    ("+7 (495) 123-45-67", [("phone", "+74951234567")]),
    ("8 800 555-35-35", [("phone", "+78005553535")]),
    ("联系 138 1234 5678", [("phone", "+8613812345678")]),
    ("咨询电话13812345678", [("phone", "+8613812345678")]),
    ("+86 138-1234-5678", [("phone", "+8613812345678")]),
    ("联系电话：010-12345678", [("phone", "+861012345678")]),
    ("电话：１３８ １２３４ ５６７８", [("phone", "+8613812345678")]),  # full-width digits from OCR
    ("WhatsApp +380 67 123 4567", [("phone", "+380671234567")]),
    ("tel:+79991234567", [("phone", "+79991234567")]),
    ("we paid 89991234567", [("phone", "+79991234567")]),  # "paid" is not an "id" label
]

MESSENGERS = [
    ("Пишите в телеграм @recruit_ru", [("telegram", "@recruit_ru")]),
    ("Telegram: Army_Contract", [("telegram", "@army_contract")]),
    ("TG：zhaomu_2024", [("telegram", "@zhaomu_2024")]),
    ("t.me/voenkomat_ru", [("telegram", "@voenkomat_ru")]),
    ("https://t.me/s/Voenkomat_RU", [("telegram", "@voenkomat_ru")]),
    ("https://t.me/joinchat/AbCdEfGhIjKl", [("telegram", "t.me/+AbCdEfGhIjKl")]),
    ("t.me/+AbCdEfGhIjKl", [("telegram", "t.me/+AbCdEfGhIjKl")]),
    ("tg://resolve?domain=somechannel", [("telegram", "@somechannel")]),
    ("关注 @douyin_user", [("handle", "@douyin_user")]),  # no Telegram in the line: just a handle
    ("坐飞机去 @someone_1", [("handle", "@someone_1")]),  # 飞机 is a plane; 纸飞机 and 飞机号 mean Telegram
    ("加纸飞机 @zhaomu_ru", [("telegram", "@zhaomu_ru")]),
    ("WhatsApp: wa.me/79991234567", [("url", "wa.me/79991234567"), ("phone", "+79991234567")]),
    ("微信：army_recruit2024", [("wechat", "army_recruit2024")]),
    ("VX: zhaomu888", [("wechat", "zhaomu888")]),
    ("ＶＸ：ｚｈａｏｍｕ８８８", [("wechat", "zhaomu888")]),
    ("加V 13912345678", [("phone", "+8613912345678"), ("wechat", "13912345678")]),
    ("電話13912345678（微信同號）", [("phone", "+8613912345678"), ("wechat", "13912345678")]),
    ("威信号：junren_666", [("wechat", "junren_666")]),
]

WEB = [
    ("пишите на Recruit@Mail.ru", [("email", "recruit@mail.ru")]),
    ("сайт: https://контракт.рф/vacancy.", [("url", "контракт.рф/vacancy")]),
    ("сайт gosuslugi.ru/help", [("url", "gosuslugi.ru/help")]),
    ("www.Mil.RU/", [("url", "mil.ru")]),
    ("HTTPS://VK.com/Club123", [("url", "vk.com/Club123")]),
]

TRAPS = [
    "2024年3月15日 12:30", "15.03.2024", "2024-03-15", "12:30-14:00", "订单号20240315123456",
    "订单号 13812345678901", "抖音号 13812345678", "抖音号：13812345678", "QQ：123456789", "ID 1234567890",
    "工号 20230001", "身份证110101199003071234", "7700到27000美元", "2000000 卢布", "30%", "视频.mp4 1.5万",
    "№ 89991234567", "Номер заказа 89991234567", "v1.2.3", "Mr.Smith",
]


@pytest.mark.parametrize(("text", "expected"), PHONES + MESSENGERS + WEB)
def test_contacts(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", TRAPS)
def test_not_contacts(text):
    assert found(text) == []


def test_region_order_decides_numbers_without_country_code():
    # Valid in both plans? No: 8 999 ... is only Russian, 138... only Chinese, whatever the order.
    assert found("8 999 123-45-67 或 138 1234 5678", regions=("CN", "RU")) == [
        ("phone", "+79991234567"), ("phone", "+8613812345678")]
    assert found("138 1234 5678", regions=("RU",)) == []  # not tried as Chinese: no country code


def test_phone_region_is_recorded():
    (m,) = find_contacts(fold("+7 999 123-45-67"))
    assert m.region == "RU"


def test_spans_point_at_the_raw_text():
    text = "Звоните: 8 999 123-45-67!"
    (m,) = find_contacts(fold(text))
    assert text[m.start:m.end] == "8 999 123-45-67"


@pytest.mark.parametrize(("raw", "value"), [("https://www.Example.COM/a/", "example.com/a"),
                                            ("example.com", "example.com")])
def test_normalise_url(raw, value):
    assert normalise_url(raw) == value
