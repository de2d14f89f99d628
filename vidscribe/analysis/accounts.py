"""Account marks: the platform account a clip names or carries as a watermark ("抖音号：xxx",
"快手号 123", "TikTok @name"). On a re-upload the watermark names the account the clip was first
posted from, so it is kept as uploader evidence beside the downloader's metadata.
"""

from __future__ import annotations

import re

from vidscribe.analysis.text import Match

# Platform -> the labels that introduce its account IDs (simplified script: text is folded first).
PLATFORMS: dict[str, str] = {
    "douyin": r"抖音号|抖音id|抖音|douyin",
    "kuaishou": r"快手号|快手id|快手|kuaishou",
    "xiaohongshu": r"小红书号|小红书|xiaohongshu|rednote",
    "bilibili": r"b站|哔哩哔哩|bilibili|bili\s*uid",
    "weibo": r"微博|weibo",
    "wechat_channels": r"视频号",
    "toutiao": r"头条号|今日头条|西瓜视频",
    "tiktok": r"tiktok",
    "youtube": r"youtube",
    "vk": r"вконтакте|vk\s*video|vk(?=\s*[:：@])",
}
_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]{1,38}[A-Za-z0-9_]|[A-Za-z0-9]{2}"
_LABELLED = re.compile(
    rf"(?:{'|'.join(f'(?P<{name}>{pattern})' for name, pattern in PLATFORMS.items())})"
    rf"\s*(?:号|id|uid)?\s*[:：]?\s*@?(?P<id>{_ID})(?![\w./-])", re.IGNORECASE)  # "vk.com/...": a URL
_AT = re.compile(r"(?<![\w.@/])@(?P<id>[A-Za-z0-9_.]{2,30}[A-Za-z0-9_])(?![\w@])")


def find_accounts(text: str, watermark: bool = False) -> list[Match]:
    """Platform account IDs in `text` (folded). `watermark`: the line is an overlay the subtitles
    stage marked as an account mark, so a bare "@name" or the whole text stands for the account.
    """
    out: list[Match] = []
    for m in _LABELLED.finditer(text):
        platform = next(name for name in PLATFORMS if m.group(name))
        out.append(Match("account", m.group("id"), m.start(), m.end(), label=platform))
    if watermark and not out:
        platform = next((name for name in PLATFORMS if re.search(PLATFORMS[name], text, re.IGNORECASE)), None)
        ats = list(_AT.finditer(text))
        if ats:
            out += [Match("account", a.group("id"), a.start(), a.end(), label=platform) for a in ats]
        elif text.strip():
            stripped = text.strip()
            start = text.index(stripped)
            out.append(Match("account", stripped, start, start + len(stripped), label=platform))
    return out
