"""Which stages a video needs: the pipeline's dependency order, without Redis."""

from __future__ import annotations

from vidscribe.queue.graph import downstream, job_timeout, stages_to_run
from vidscribe.transcripts.model import StageRecord, Transcript, VideoMeta


def transcript(**statuses: str) -> Transcript:
    return Transcript(video=VideoMeta(id="v-1", source="x"),
                      stages={name: StageRecord(status) for name, status in statuses.items()})


def test_downstream_follows_what_each_stage_reads():
    assert downstream("speech") == ["speech", "align", "analysis", "fingerprint"]
    assert downstream("subtitles") == ["subtitles", "align", "analysis", "fingerprint"]
    assert downstream("analysis") == ["analysis"]
    assert downstream("fingerprint") == ["fingerprint"]


def test_stages_to_run():
    assert stages_to_run(transcript(media="done")) == ["speech", "subtitles", "align", "analysis", "fingerprint"]
    done = dict(media="done", speech="done", subtitles="done", align="done", analysis="done", fingerprint="done")
    assert stages_to_run(transcript(**done)) == []
    assert stages_to_run(transcript(**{**done, "subtitles": "failed"})) == ["subtitles", "align", "analysis",
                                                                           "fingerprint"]
    assert stages_to_run(transcript(**{**done, "speech": "skipped"})) == []
    assert stages_to_run(transcript(**done), stage="speech") == ["speech", "align", "analysis", "fingerprint"]


def test_timeouts_grow_with_duration():
    assert job_timeout("speech", 600) > job_timeout("speech", 10) > job_timeout("align", 10)
    assert job_timeout("speech", None) >= 300
