"""The report lists stages in the order they run, whatever order they finished in: two workers
finishing speech and subtitles in either order must write the same transcript.md."""

from __future__ import annotations

from vidscribe.stage import in_pipeline_order
from vidscribe.transcripts.model import StageRecord, Transcript, VideoMeta
from vidscribe.transcripts.render import report


def _with_stages(names: list[str]) -> Transcript:
    t = Transcript(video=VideoMeta(id="v", source="https://example.com/v"))
    for name in names:
        t.stages[name] = StageRecord("done", 1.0, "1")
    return t


def test_the_stages_row_follows_the_pipeline_not_the_finishing_order():
    finished = ["media", "subtitles", "speech", "analysis", "align"]
    one = report(_with_stages(finished))
    other = report(_with_stages(["media", "speech", "subtitles", "align", "analysis"]))
    assert one == other
    row = next(line for line in one.splitlines() if line.startswith("- **Stages:**"))
    assert row.index("speech") < row.index("subtitles") < row.index("align") < row.index("analysis")


def test_unknown_stage_names_go_last_in_their_order():
    assert in_pipeline_order(["zeta", "analysis", "media", "alpha"]) == ["media", "analysis", "zeta", "alpha"]
