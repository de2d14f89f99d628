"""The bench's "realistic" group: generated clips made to look like real recruitment clips, with
every difficulty mixed within a clip, and their ground truth (cues tagged with the difficulty
classes they carry, and the screen text).

Classes (a cue may carry several):
  plain      one Chinese line at the bottom (digits, currency, Latin included)
  bilingual  Chinese above, Russian (or a Latin contact line) below, in one cue
  caption    large captions (6-9% of the frame height per line) at the top or in the middle,
             one to three lines, some with a trailing '，' or an emoji-like symbol
  repeat     identical cues 2-4 frames apart, and cues one character apart back to back
  karaoke    characters turning another colour from left to right
  compressed cues of clips encoded at CRF 39-41, at 480p, re-encoded up to 720p
  uhd        cues of a 3840x2160 clip
  lowres     cues of a 360x640 clip
  hfr        cues of a 60 fps clip
Screen text: static text blocks (screenshots, photo posts) shown for a few seconds, and stills.

Media is generated (ffmpeg drawtext/drawbox, fonts-noto-cjk for Chinese and Cyrillic, DejaVu Sans
for the symbols) and cached outside git; times are whole frames.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from vidscribe.samples import (
    CJK_FONT,
    CJK_SERIF_FONT,
    ClipSpec,
    Rect,
    Reencode,
    TextLayer,
    karaoke,
)

CLASSES = ("plain", "bilingual", "caption", "repeat", "karaoke", "compressed", "uhd", "lowres", "hfr")

ZH = [
    "加入俄罗斯军队", "签约奖金两百万卢布", "月薪二十万卢布起", "电话 +7 999 123-45-67", "包吃包住 免费体检",
    "合同期限一年", "微信号 ruarmy2024", "年龄十八到四十五岁", "无需俄语基础", "来回机票全部报销",
    "每月按时发放工资", "欢迎中国朋友加入", "联系我们了解详情", "保险和医疗全覆盖", "服役期满可获得国籍",
    "今天报名明天出发", "名额有限，先到先得", "我们在莫斯科等你", "训练营地在南方", "专业翻译全程陪同",
    "工资直接打到银行卡", "退伍后可以继续工作", "所有手续我们来办", "真实可靠，不收任何费用", "月薪3000美元",
    "一次性补贴¥150000", "先培训两周再上岗", "家属可以一起办签证",
]
RU = [
    "Пункт отбора работает каждый день.", "Контракт на один год.", "Зарплата от двухсот тысяч рублей.",
    "Бесплатное питание и проживание.", "Звоните: +7 999 123-45-67", "Документы оформим за три дня.",
    "Выплата при подписании контракта.", "Медицинская страховка включена.", "Обучение на полигоне две недели.",
    "Возраст от 18 до 50 лет.", "Опыт службы не обязателен.", "Ждём вас в Москве.",
    "Перевод на банковскую карту.", "Переводчик всё время рядом.", "Билеты оплачиваем мы.",
    "Набор открыт до конца месяца.", "Гражданство после службы.", "Пишите нам в Телеграм.",
]
LATIN = ["WeChat: ruarmy2024", "Telegram @recruit_msk", "@army_contract_2024", "WhatsApp +7 916 555 01 02"]
CAPTIONS = [
    "俄军招募", "高薪急招", "真实待遇", "报名方式", "签约就发钱", "名额不多了", "月入二十万", "不看学历",
    "包机票", "三天办完", "私信了解", "速来报名", "正规合同", "待遇公开", "一年合同", "欢迎咨询",
]
# Emoji stand-ins: solid symbols a video editor puts after a caption line (DejaVu Sans has them).
SYMBOLS = ["★", "♥", "☎", "➡"]
SYMBOL_FONT = "DejaVu Sans"
# One character apart, shown back to back: every step is its own cue.
COUNTDOWNS = [["还剩3个名额", "还剩2个名额", "还剩1个名额"], ["月薪20万", "月薪25万"],
              ["今天第7位报名", "今天第8位报名"], ["奖金100万卢布", "奖金200万卢布"]]
SCREENSHOTS = [
    ["招聘：俄罗斯合同兵", "月薪：20万卢布起", "签约奖金：200万卢布", "联系人：王先生", "电话：138 0013 8000"],
    ["通知", "体检时间：每周一至周五", "地点：莫斯科市中心", "携带护照和照片", "请提前预约"],
    ["Вакансия: стрелок", "Оклад 210 000 руб.", "Контракт 1 год", "Тел. +7 999 765-43-21"],
    ["聊天记录", "我：工资什么时候发？", "对方：每月十号准时发", "我：家人能一起去吗", "对方：可以办签证"],
    ["报名须知", "年龄：18-50岁", "无犯罪记录", "身体健康", "自愿签约"],
]


@dataclass
class Truth:
    start: float
    end: float
    text: str
    classes: tuple[str, ...] = ()


@dataclass
class RealClip:
    name: str
    spec: ClipSpec
    cues: list[Truth]
    screen: list[Truth] = field(default_factory=list)
    watermark: str | None = None
    scene_text: list[str] = field(default_factory=list)
    still: bool = False
    suffix: str = ".mp4"


class _Timeline:
    """Builds layers and truth; times snap to whole frames (a cue from frame a to frame b)."""

    def __init__(self, w: int, h: int, fps: float, tags: tuple[str, ...]):
        self.w, self.h, self.fps, self.tags = w, h, fps, tags
        self.layers: list[TextLayer | Rect] = []
        self.cues: list[Truth] = []
        self.screen: list[Truth] = []

    def snap(self, t: float) -> float:
        return round(t * self.fps) / self.fps

    def at(self, t: float) -> float:
        """drawtext's enable window for a frame time: a hair early, so float noise never drops it."""
        return t - 0.25 / self.fps

    def add_cue(self, lines: list[tuple[str, dict[str, object]]], start: float, end: float,
                classes: tuple[str, ...], *, bottom: float, size: int, gap: float = 1.3) -> None:
        """Lines stacked upwards from `bottom` (fraction of the height, last line's baseline)."""
        start, end = self.snap(start), self.snap(end)
        y = bottom * self.h
        for i, (text, style) in enumerate(reversed(lines)):
            line_size = int(style.get("size", size))  # type: ignore[call-overload]
            kw = {k: v for k, v in style.items() if k not in ("size", "symbol")}
            top = round(y - i * gap * size)
            symbol = style.get("symbol")
            if symbol:
                # The line and its symbol centred together, as an editor does: the text sits off centre.
                advance = len(text) * line_size
                x0 = (self.w - advance - line_size) // 2
                self.layers.append(TextLayer(text, self.at(start), self.at(end), x=str(x0), y=f"{top}-ascent",
                                             size=line_size, **kw))  # type: ignore[arg-type]
                self.layers.append(TextLayer(str(symbol), self.at(start), self.at(end), x=str(x0 + advance),
                                             y=f"{top}-ascent", size=line_size, font=SYMBOL_FONT, color="0xFF3040",
                                             border=0))
            else:
                self.layers.append(TextLayer(text, self.at(start), self.at(end), y=f"{top}-ascent",
                                             size=line_size, **kw))  # type: ignore[arg-type]
        self.cues.append(Truth(start, end, "\n".join(t for t, _ in lines), classes + self.tags))

    def add_karaoke(self, text: str, start: float, end: float, *, bottom: float, size: int, sung: str) -> None:
        start, end = self.snap(start), self.snap(end)
        self.layers += karaoke(text, self.at(start), self.at(end), size=size, bottom=f"{round(bottom * self.h)}",
                               sung=sung, frame_width=self.w)
        self.cues.append(Truth(start, end, text, ("karaoke",) + self.tags))

    def add_screenshot(self, lines: list[str], start: float, end: float, *, y0: float, y1: float) -> None:
        start, end = self.snap(start), self.snap(end)
        x0, x1 = round(0.08 * self.w), round(0.92 * self.w)
        top, bottom = round(y0 * self.h), round(y1 * self.h)
        self.layers.append(Rect(x0, top, x1 - x0, bottom - top, self.at(start), self.at(end), "0xF2F2F2"))
        size = max(16, round(min(0.032 * self.h, 0.055 * self.w)))
        for i, line in enumerate(lines):
            self.layers.append(TextLayer(line, self.at(start), self.at(end), x=str(x0 + size), y=str(top + size + round(
                i * 1.7 * size)), size=size, color="0x202020", border=0, font=CJK_FONT))
        self.screen.append(Truth(start, end, "\n".join(lines), ("screen",)))


STYLES: dict[str, dict[str, object]] = {
    "outline": {"color": "white", "border": 3, "border_color": "black"},
    "yellow": {"color": "0xFFE000", "border": 2, "border_color": "black"},
    "boxed": {"color": "white", "border": 0, "box": "black@0.6"},
    "darkbox": {"color": "black", "border": 0, "box": "white@0.9"},
}


def _bottom_track(tl: _Timeline, rng: random.Random, start: float, end: float, *, size: int, bottom: float,
                  kinds: dict[str, float], style: str, busy: list[tuple[float, float]]) -> None:
    """Subtitles at the bottom from `start` to `end`: each cue a kind drawn by weight."""
    t = start
    zh, ru, lat = ZH[:], RU[:], LATIN[:]
    for pool in (zh, ru, lat):
        rng.shuffle(pool)
    k = 0
    names, weights = list(kinds), list(kinds.values())
    ru_size = max(14, round(size * 0.8))
    st = STYLES[style]
    while t < end - 4.5:  # room for the longest kind (a countdown of three), the clip's end a gap
        kind = rng.choices(names, weights)[0]
        d = rng.uniform(1.4, 3.0)
        k += 1
        if kind == "plain":
            tl.add_cue([(zh[k % len(zh)], st)], t, t + d, ("plain",), bottom=bottom, size=size)
        elif kind == "bilingual":
            second = ru[k % len(ru)] if rng.random() < 0.8 else lat[k % len(lat)]
            tl.add_cue([(zh[k % len(zh)], st), (second, {**st, "size": ru_size})], t, t + d + 0.6, ("bilingual",),
                       bottom=bottom, size=size)
            d += 0.6
        elif kind == "repeat-same":
            text = zh[k % len(zh)]
            gap = rng.randint(2, 4) / tl.fps
            d1 = rng.uniform(0.8, 1.6)
            tl.add_cue([(text, st)], t, t + d1, ("repeat",), bottom=bottom, size=size)
            tl.add_cue([(text, st)], t + d1 + gap, t + d1 + gap + d, ("repeat",), bottom=bottom, size=size)
            d += d1 + gap
        elif kind == "repeat-digit":
            steps = COUNTDOWNS[k % len(COUNTDOWNS)]
            s = t
            for text in steps:
                dd = rng.uniform(1.0, 2.0)
                tl.add_cue([(text, st)], s, s + dd, ("repeat",), bottom=bottom, size=size)
                s = tl.snap(s + dd)
            d = s - t
        elif kind == "karaoke":
            text = rng.choice([x for x in zh if all(not c.isascii() for c in x)])
            tl.add_karaoke(text, t, t + d + 0.8, bottom=bottom, size=size,
                           sung=rng.choice(["0xFFE000", "0x30C0FF", "0xFF4040"]))
            d += 0.8
        busy.append((t, t + d))
        t = tl.snap(t + d + (0.0 if rng.random() < 0.5 else rng.uniform(0.2, 0.7)))


def _caption_track(tl: _Timeline, rng: random.Random, start: float, end: float, *, where: tuple[str, ...],
                   avoid: list[tuple[float, float]]) -> None:
    """Large captions (1-3 lines, 6-9% of the height each) at the top, in the middle or against the
    frame's top edge (`edge`: the first line's ink 0.5% of the height below it), a few seconds
    each, now and then back to back."""
    t = start + rng.uniform(0.5, 3.0)
    pool = CAPTIONS[:]
    rng.shuffle(pool)
    k = 0
    while t < end - 3.0:
        d = min(rng.uniform(2.5, 5.5), end - 0.3 - t)
        if any(a < t + d and t < b for a, b in avoid):
            t += 2.0
            continue
        size = round(rng.uniform(0.06, 0.09) * tl.h)
        max_chars = max(2, int(0.86 * tl.w / size) - 1)
        n = rng.choice([1, 2, 2, 3])
        style = STYLES[rng.choice(["outline", "yellow", "boxed", "darkbox"])]
        lines = []
        for _ in range(n):
            text = pool[k % len(pool)][:max_chars]
            k += 1
            extra: dict[str, object] = {}
            r = rng.random()
            if r < 0.25 and len(text) < max_chars:
                text += "，"
            elif r < 0.45 and len(text) < max_chars:
                extra["symbol"] = rng.choice(SYMBOLS)
            lines.append((text, {**style, **extra, "size": size}))
        place = rng.choice(where)
        if place == "edge":  # the last line's baseline: its ink top lies ~0.88 of a size above it
            bottom = 0.005 + ((n - 1) * 1.25 + 0.88) * size / tl.h
        else:
            bottom = (0.10 + n * 0.085 if place == "top" else 0.42 + n * 0.045) if tl.h > tl.w else \
                (0.12 + n * 0.1 if place == "top" else 0.4 + n * 0.05)
        tl.add_cue(lines, t, t + d, ("caption",), bottom=bottom, size=size, gap=1.25)
        t = tl.snap(t + d + (0.0 if rng.random() < 0.3 else rng.uniform(1.0, 6.0)))


def _watermark(tl: _Timeline, rng: random.Random, duration: float, size: int) -> str:
    handle = f"抖音号：recruit_{rng.randrange(1000, 9999)}"
    tl.layers.append(TextLayer(handle, 0.0, duration, x="24", y="48", size=size, border=1, color="white@0.85"))
    return handle


def mixed(name: str, *, w: int, h: int, fps: float, duration: float, seed: int, background: str,
          filters: str | None = None, crf: int = 23, reencode: Reencode | None = None,
          kinds: dict[str, float] | None = None, captions: tuple[str, ...] = ("top", "middle"),
          screenshots: int = 0, tags: tuple[str, ...] = (), sub_size: float = 0.034, style: str = "outline",
          sign: bool = False, title: str | None = None) -> RealClip:
    rng = random.Random(seed)
    tl = _Timeline(w, h, fps, tags)
    # Screenshots first: the captions keep out of their time.
    shots: list[tuple[float, float]] = []
    for i in range(screenshots):
        s = tl.snap(duration * (i + 0.5) / screenshots + rng.uniform(-2, 2))
        shots.append((s, s + rng.uniform(3.5, 6.0)))
    if title:
        tl.layers.append(TextLayer(title, 0.0, duration, y=str(round(0.05 * h)), size=round(0.045 * h),
                                   **STYLES["boxed"]))  # type: ignore[arg-type]
    busy: list[tuple[float, float]] = []
    size = round(sub_size * max(h, w * 0.75)) if h > w else round(sub_size * 1.6 * h)
    _bottom_track(tl, rng, 0.3, duration, size=size, bottom=0.86 if h > w else 0.9,
                  kinds=kinds or {"plain": 3, "bilingual": 3, "repeat-same": 1, "repeat-digit": 1, "karaoke": 1},
                  style=style, busy=busy)
    if captions:
        _caption_track(tl, rng, 0.0, duration, where=captions, avoid=[(a - 0.5, b + 0.5) for a, b in shots])
    for (a, b), lines in zip(shots, rng.sample(SCREENSHOTS, len(shots)) if len(shots) <= len(SCREENSHOTS)
                             else SCREENSHOTS * 3, strict=False):
        tl.add_screenshot(lines, a, b, y0=0.3, y1=0.62)
    scene = []
    if sign:
        scene.append("超市 营业中")
        tl.layers.append(TextLayer("超市 营业中", 0.0, duration, x="w-mod(t*120,w+text_w)", y="h*0.66",
                                   size=round(0.035 * h), color="black", border=0, box="white@0.9"))
    watermark = _watermark(tl, rng, duration, max(18, round(0.018 * max(w, h))))
    spec = ClipSpec(duration=duration, width=w, height=h, fps=fps, background=background, background_filters=filters,
                    layers=tl.layers, audio=False, crf=crf, reencode=reencode)
    # A screenshot drawn past the clip's end is on screen until the end, not after it (the truth
    # only: what is drawn past the end is never shown).
    screen = [Truth(x.start, min(x.end, tl.snap(duration)), x.text, x.classes) for x in tl.screen]
    return RealClip(name, spec, tl.cues, screen, watermark, scene)


def still(name: str, *, w: int, h: int, seed: int, suffix: str, caption: str | None) -> RealClip:
    """A photo post or screenshot: a picture with a text panel (and a caption over the photo)."""
    rng = random.Random(seed)
    tl = _Timeline(w, h, 1.0, ())
    tl.add_screenshot(rng.choice(SCREENSHOTS), 0.0, 1.0, y0=0.3, y1=0.7)
    tl.screen[-1] = Truth(0.0, 0.0, tl.screen[-1].text, ("screen",))
    if caption:
        tl.layers.append(TextLayer(caption, 0.0, 1.0, y=str(round(0.12 * h)), size=round(0.06 * h),
                                   **STYLES["yellow"]))  # type: ignore[arg-type]
        tl.screen.append(Truth(0.0, 0.0, caption, ("screen",)))
    spec = ClipSpec(duration=1.0, width=w, height=h, fps=1, background="gradients=c0=0x406080:c1=0x80A040:speed=0.0001",
                    layers=tl.layers, audio=False)
    return RealClip(name, spec, [], tl.screen, still=True, suffix=suffix)


def suite() -> list[RealClip]:
    """The realistic group: about 7.5 minutes of video in 9 clips, one of 3.5 minutes, and 3 stills."""
    all_kinds = {"plain": 3, "bilingual": 3, "repeat-same": 1, "repeat-digit": 1, "karaoke": 1}
    return [
        mixed("long-mixed", w=720, h=1280, fps=30, duration=210.0, seed=1, background="testsrc2",
              filters="hue=s=0.7", crf=26, kinds=all_kinds, screenshots=4, sign=True),
        mixed("caption-1080", w=1080, h=1920, fps=25, duration=40.0, seed=2, crf=28, captions=("middle",),
              background="gradients=c0=0x203050:c1=0x905030:c2=0x308060:nb_colors=3:speed=0.02",
              filters="noise=alls=12:allf=t+u", title="俄罗斯合同兵招募", style="yellow"),
        mixed("compressed-480-720", w=480, h=854, fps=30, duration=45.0, seed=3, crf=40,
              reencode=Reencode(720, 1280, 30), background="mandelbrot", tags=("compressed",),
              kinds={"plain": 2, "bilingual": 3, "repeat-same": 1, "repeat-digit": 1}),
        mixed("compressed-h-480-720", w=854, h=480, fps=25, duration=30.0, seed=4, crf=39,
              reencode=Reencode(1280, 720, 32),
              background="life=mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00",
              tags=("compressed",), captions=("top",), style="boxed"),
        mixed("uhd-4k", w=3840, h=2160, fps=25, duration=20.0, seed=5, crf=23, tags=("uhd",),
              background="gradients=c0=0x305070:c1=0x705030:speed=0.02", kinds={"plain": 2, "bilingual": 2}),
        mixed("low-360p", w=360, h=640, fps=24, duration=30.0, seed=6, crf=34, tags=("lowres",),
              background="testsrc2", captions=("middle",), kinds={"plain": 3, "bilingual": 2, "repeat-digit": 1}),
        mixed("karaoke-60fps", w=720, h=1280, fps=60, duration=30.0, seed=7, crf=26, tags=("hfr",),
              background="color=c=0x506070", filters="noise=alls=30:allf=t+u", captions=("top",),
              kinds={"karaoke": 3, "repeat-same": 1, "plain": 1}),
        mixed("photo-post", w=720, h=1280, fps=30, duration=30.0, seed=8, crf=28, screenshots=4, captions=(),
              background="gradients=c0=0x806040:c1=0x204060:speed=0.01", kinds={"plain": 2, "bilingual": 1},
              style="boxed"),
        # Big captions against the frame's top edge, back to back at one place (2026-12-04: the
        # second of two such captions was lost when their half-size masks looked moved).
        mixed("caption-edge", w=720, h=1280, fps=25, duration=24.0, seed=12, crf=26, captions=("edge",),
              background="color=c=0x405060", filters="noise=alls=20:allf=t+u", kinds={"plain": 2, "bilingual": 1}),
        still("still-screenshot", w=1080, h=1920, seed=9, suffix=".png", caption=None),
        still("still-photo-post", w=720, h=1280, seed=10, suffix=".jpg", caption="高薪招聘"),
        still("still-wide", w=1280, h=720, seed=11, suffix=".webp", caption="报名热线"),
    ]


__all__ = ["CLASSES", "CJK_SERIF_FONT", "RealClip", "Truth", "mixed", "still", "suite"]
