"""Screen text in the rendered outputs: a section of the report (escaped, with keyframe links, a
still noted as a still), findings with their track and keyframe; SRT and WebVTT hold cues only."""

from __future__ import annotations

from vidscribe.transcripts.model import Cue, Finding, ScreenText, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.render import derived_files, render, report

HOSTILE = "报名 <script>alert(1)</script> | [link](http://evil) *bold* `code`\n00:00:01,000 --> 00:00:02,000"
BLOCK = ScreenText(4.0, 9.5, HOSTILE, 0.91, keyframe="keyframes/screen-0001.jpg")
CUE = Cue(0.5, 3.0, "今天报名", 0.9, keyframe="keyframes/0001.jpg")
PHONE = Finding("phone", "+79991234567", "+7 999 123-45-67", 4.0, 9.5, "screen", context=HOSTILE, region="RU")


def video(subtitles: Subtitles, findings: list[Finding] | None = None) -> Transcript:
    return Transcript(video=VideoMeta(id="douyin-1", source="https://www.douyin.com/video/1"), subtitles=subtitles,
                      findings=findings or [])


def _section(md: str, title: str) -> str:
    return md.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_report_has_a_screen_text_section_escaped_with_its_keyframe():
    md = report(video(Subtitles(cues=[CUE], screen_text=[BLOCK])))
    section = _section(md, "Screen text")
    row = next(line for line in section.splitlines() if line.startswith("| 00:04.0"))
    assert row.startswith("| 00:04.0–00:09.5 | 报名 \\<script\\>alert(1)\\</script\\> \\| \\[link\\](http://evil) "
                          "\\*bold\\* \\`code\\`<br>00:00:01,000 --\\> 00:00:02,000 | 0.91 |")
    assert row.endswith("| [frame](keyframes/screen-0001.jpg) |")
    assert row.count(" | ") == 3  # four cells: no author text adds one
    assert "1 cue, 0 overlays, 1 screen text block" in md
    assert "Still image" not in md


def test_no_section_without_screen_text():
    assert "## Screen text" not in report(video(Subtitles(cues=[CUE])))


def test_subtitle_files_hold_cues_only():
    files = derived_files(video(Subtitles(cues=[CUE], screen_text=[BLOCK])))
    for name in ("subtitles.srt", "subtitles.vtt"):
        assert "今天报名" in files[name] and "script" not in files[name] and "报名 " not in files[name]
    assert "script" not in render(video(Subtitles(cues=[CUE], screen_text=[BLOCK])), "subtitles", "txt")


def test_a_still_is_noted_as_a_still():
    post = ScreenText(0.0, 0.0, "招聘：俄罗斯合同兵\n电话：+7 999 123-45-67", 0.88,
                      keyframe="keyframes/screen-0001.jpg")
    phone = Finding("phone", "+79991234567", "+7 999 123-45-67", 0.0, 0.0, "screen", context=post.text)
    md = report(video(Subtitles(still=True, screen_text=[post]), [phone]))
    assert "- **Still image:** the source is a picture" in md
    assert "| still | 招聘：俄罗斯合同兵<br>电话：+7 999 123-45-67 | 0.88 | [frame](keyframes/screen-0001.jpg) |" in md
    assert "| still | screen | phone | +79991234567 | +7 999 123-45-67 | [frame](keyframes/screen-0001.jpg) |" in md
    assert "a still image has no subtitles or speech" in md
    assert derived_files(video(Subtitles(still=True, screen_text=[post])))["subtitles.srt"] == ""


def test_findings_link_their_keyframe_and_name_the_screen_track():
    md = report(video(Subtitles(cues=[CUE], screen_text=[BLOCK]), [PHONE]))
    rows = [line for line in _section(md, "Findings").splitlines() if line.startswith("| 00:")]
    assert rows == ["| 00:04.0–00:09.5 | screen | phone | +79991234567 | +7 999 123-45-67 | "
                    "[frame](keyframes/screen-0001.jpg) |"]


def test_a_keyframe_outside_the_folder_is_not_linked():
    bad = ScreenText(4.0, 9.5, "报名", 0.9, keyframe="../../../etc/passwd")
    finding = Finding("lexicon", "报名", "报名", 4.0, 9.5, "screen", context="报名")
    md = report(video(Subtitles(screen_text=[bad]), [finding]))
    assert "passwd" not in md and "[frame]" not in md
