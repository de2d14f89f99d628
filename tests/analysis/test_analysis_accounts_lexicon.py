"""Account marks (watermarks and named accounts) and lexicon terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidscribe.analysis.accounts import find_accounts
from vidscribe.analysis.lexicon import find_terms, load_lexicons, parse_lexicon
from vidscribe.analysis.text import fold
from vidscribe.errors import ConfigError
from vidscribe.settings import default_lexicon_path


def accounts(text: str, watermark: bool = False) -> list[tuple[str, str | None, str]]:
    return [(m.value, m.label, text[m.start:m.end]) for m in find_accounts(fold(text), watermark)]


@pytest.mark.parametrize(("text", "expected"), [
    ("抖音号：recruit_demo", [("recruit_demo", "douyin", "抖音号：recruit_demo")]),
    ("抖音號: 123456789", [("123456789", "douyin", "抖音號: 123456789")]),
    ("关注快手号 ks_army 了解详情", [("ks_army", "kuaishou", "快手号 ks_army")]),
    ("抖音 @recruit2024", [("recruit2024", "douyin", "抖音 @recruit2024")]),
    ("B站UID：123456", [("123456", "bilibili", "B站UID：123456")]),
    ("小红书号：8848abc", [("8848abc", "xiaohongshu", "小红书号：8848abc")]),
    ("TikTok @zhaomu.ru", [("zhaomu.ru", "tiktok", "TikTok @zhaomu.ru")]),
    ("我在抖音上看到", []),  # the platform named, no account
    ("签约奖金两百万卢布", []),
])
def test_accounts(text, expected):
    assert accounts(text) == expected


def test_watermark_overlay_without_a_label_is_still_the_account():
    assert accounts("@army_life", watermark=True) == [("army_life", None, "@army_life")]
    assert accounts("junren_2024", watermark=True) == [("junren_2024", None, "junren_2024")]
    assert accounts("junren_2024") == []  # the same text in a subtitle is not an account mark


def terms(text: str, lexicons) -> list[tuple[str, str | None, str]]:
    return [(m.value, m.label, text[m.start:m.end]) for m in find_terms(fold(text), lexicons)]


@pytest.fixture(scope="module")
def default():
    return load_lexicons("default")


@pytest.mark.parametrize(("text", "expected"), [
    ("簽約獎金兩百萬盧布", [("签约奖金", "pay", "簽約獎金")]),  # traditional text, longest term wins
    ("加入俄罗斯军队 月薪二十万卢布", [("加入俄罗斯军队", "recruitment", "加入俄罗斯军队"), ("月薪", "pay", "月薪")]),
    ("Подпишите КОНТРАКТ, единовременная выплата",
     [("контракт*", "contract", "КОНТРАКТ"), ("единоврем*", "pay", "единовременная"), ("выплат*", "pay", "выплата")]),
    ("Военная служба по контракту", [("военн* служб*", "recruitment", "Военная служба"),
                                     ("контракт*", "contract", "контракту")]),
    ("Sign up: contracts for Recruits", [("sign up", "contract", "Sign up"), ("contract*", "contract", "contracts"),
                                         ("recruit*", "recruitment", "Recruits")]),
    ("Приглашаем на СВО", [("сво", "military", "СВО")]),
    ("свобода и контрольный выстрел", []),  # сво and контракт* are whole words / word beginnings only
    ("subcontractor", []),
])
def test_default_lexicon(default, text, expected):
    assert terms(text, default) == expected


def test_user_lexicon_file(tmp_path: Path):
    path = tmp_path / "mine.txt"
    path.write_text("# my terms\n招兵买马\n[units]\n瓦格納   # traditional is folded\nwagner*\n\n", encoding="utf-8")
    (lex,) = load_lexicons(str(path))
    assert [(t.text, t.category) for t in lex.terms] == [
        ("招兵买马", "mine"), ("瓦格纳", "units"), ("wagner*", "units")]
    assert terms("瓦格纳集团 Wagnerites 招兵买马", [lex]) == [
        ("瓦格纳", "units", "瓦格纳"), ("wagner*", "units", "Wagnerites"), ("招兵买马", "mine", "招兵买马")]


def test_lexicon_spec(tmp_path: Path):
    (tmp_path / "a.txt").write_text("甲\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("乙\n", encoding="utf-8")
    assert [lx.name for lx in load_lexicons(f"default, {tmp_path}")] == ["recruitment", "a", "b"]
    assert load_lexicons("") == []
    with pytest.raises(ConfigError, match="neither a file nor a folder"):
        load_lexicons(str(tmp_path / "missing.txt"))


def test_shipped_lexicon_covers_the_three_languages():
    lex = parse_lexicon(default_lexicon_path().read_text(encoding="utf-8"), "recruitment")
    words = {t.text for t in lex.terms}
    assert {"招募", "签约", "合同", "奖金", "月薪", "контракт*", "выплат*", "contract*", "signing bonus"} <= words
