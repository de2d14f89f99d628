"""Synthetic transcripts for the search tests and `bench/search.py`: recruitment-clip-like lines in
Chinese, Russian and English, deterministic for a seed, with known phrases planted for queries,
and the findings the analysis stage would make of them: the amounts in the planted lines, and a
contact phone number (one of `PHONE_POOL` hotlines, as recruiters reuse them) in some clips.
"""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path

from vidscribe.analysis.money import find_money
from vidscribe.analysis.text import fold
from vidscribe.transcripts.model import (
    Cue,
    Finding,
    Money,
    Overlay,
    Segment,
    Speech,
    Subtitles,
    Transcript,
    VideoMeta,
)
from vidscribe.transcripts.store import TRANSCRIPT_FILE

ZH_LINES = [
    "加入俄罗斯军队", "签约奖金两百万卢布", "月薪二十万卢布", "包吃包住 免费医疗", "服役一年合同",
    "无需经验 年龄18到45岁", "入籍俄罗斯 获得护照", "签约即可领取一次性奖金", "前线补贴另计",
    "招募外籍志愿兵", "体检合格即可签约", "家属享受抚恤金", "每月按时发放工资", "报名请私信",
]
RU_LINES = [
    "Контракт на один год", "Единовременная выплата 195 тысяч рублей", "Зарплата от 200 000 рублей в месяц",
    "Гражданство для вас и семьи", "Звоните по телефону", "Приходите в пункт отбора", "Опыт не нужен",
    "Бесплатное обучение и медицинская страховка", "Пишите в телеграм", "Служба по контракту",
]
EN_LINES = [
    "Join the army today", "Signing bonus of $7,700 to $27,000", "Monthly pay around $2,400",
    "Free housing and medical care", "Sign the contract now", "No experience needed", "Call us today",
]
# Common characters for filler text, so the index sees a realistic spread of CJK tokens.
_HAN = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产"
        "种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
        "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或"
        "但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品"
        "式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先")
_RU_WORDS = ["служба", "армия", "фронт", "деньги", "семья", "город", "работа", "договор", "оплата", "жильё",
             "помощь", "отряд", "связь", "канал", "неделя", "месяц", "задача", "опыт", "условия", "льготы",
             "паспорт", "документы", "приказ", "отбор", "медкомиссия"]


PHONE_POOL = 300  # distinct hotline numbers across the corpus
PHONE_SHARE = 0.2  # of clips that show one in a subtitle


def pool_phone(i: int) -> str:
    """The national number (10 digits, Russian mobile) of hotline `i`."""
    return str(9_000_000_000 + (i % PHONE_POOL) * 7_919_113)


@functools.cache
def _amounts(text: str) -> list[tuple[str, str, Money | None]]:
    return [(m.value, text[m.start:m.end], m.money) for m in find_money(fold(text))]


def _findings(line: Segment | Cue, track: str) -> list[Finding]:
    return [Finding("money", value, raw, line.start, line.end, track, context=line.text, money=money)
            for value, raw, money in _amounts(line.text)]


def _phone_cue(rng: random.Random, cue: Cue) -> tuple[Cue, Finding]:
    n = pool_phone(rng.randrange(PHONE_POOL))
    raw = f"+7 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}"
    cue = Cue(cue.start, cue.end, f"电话 {raw}", cue.confidence)
    return cue, Finding("phone", f"+7{n}", raw, cue.start, cue.end, "subtitle", context=cue.text, region="RU")


def _filler(rng: random.Random) -> str:
    return "".join(rng.choice(_HAN) for _ in range(rng.randint(4, 14)))


def synthetic_transcript(index: int, rng: random.Random, lines: int = 40) -> Transcript:
    """One transcript: speech in Russian or English, Chinese subtitles, an account watermark."""
    video_id = f"syn-{index:06d}"
    russian = rng.random() < 0.6
    segments, cues = [], []
    t = 0.0
    for _ in range(lines // 2):
        length = rng.uniform(1.0, 3.5)
        if russian:
            text = rng.choice(RU_LINES) if rng.random() < 0.3 else " ".join(rng.sample(_RU_WORDS, rng.randint(3, 8)))
        else:
            text = rng.choice(EN_LINES) if rng.random() < 0.3 else f"line {index} {rng.randint(0, 10**6)}"
        segments.append(Segment(round(t, 2), round(t + length, 2), text))
        zh = rng.choice(ZH_LINES) if rng.random() < 0.3 else _filler(rng)
        cues.append(Cue(round(t, 2), round(t + length, 2), zh, round(rng.uniform(0.8, 1.0), 3)))
        t += length + rng.uniform(0.0, 0.5)
    findings = [f for seg in segments for f in _findings(seg, "speech")]
    findings += [f for cue in cues for f in _findings(cue, "subtitle")]
    if cues and rng.random() < PHONE_SHARE:
        at = rng.randrange(len(cues))
        cues[at], phone = _phone_cue(rng, cues[at])
        findings = [f for f in findings if not (f.track == "subtitle" and f.start == cues[at].start)] + [phone]
    overlay = Overlay(0.0, round(t, 2), f"抖音号：recruit_{index % 500:03d}", 0.95, kind="account")
    return Transcript(
        video=VideoMeta(id=video_id, source=f"https://www.douyin.com/video/{7300000000000000000 + index}",
                        title=f"Synthetic clip {index}", uploader=f"recruit_{index % 500:03d}", duration=round(t, 2)),
        speech=Speech(language="ru" if russian else "en", segments=segments),
        subtitles=Subtitles(cues=cues, overlays=[overlay]),
        findings=sorted(findings, key=lambda f: (f.start or 0.0, f.track, f.kind, f.value)),
    )


def write_corpus(root: Path, count: int, seed: int = 7, lines: int = 40) -> list[str]:
    """Write `count` synthetic transcripts under `<root>/transcripts/`; returns their video IDs.

    Plain writes, not the store's fsynced atomic ones: this is throwaway benchmark data."""
    rng = random.Random(seed)
    ids = []
    for i in range(count):
        t = synthetic_transcript(i, rng, lines)
        folder = root / "transcripts" / t.video.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / TRANSCRIPT_FILE).write_text(json.dumps(t.to_dict(), ensure_ascii=False), encoding="utf-8")
        ids.append(t.video.id)
    return ids
