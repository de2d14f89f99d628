"""Models load once per worker process: the second job on a worker loads nothing."""

from __future__ import annotations

from click.testing import CliRunner
from redis import Redis

from vidscribe.cli import cli
from vidscribe.speech import model as speech_model
from vidscribe.transcripts.store import Store
from vidscribe.worker.worker import make_worker


def test_second_job_on_a_worker_loads_no_model(clips, tmp_path, redis_url, tiny_asr_model, monkeypatch, data_root):
    monkeypatch.setenv("VIDSCRIBE_ASR_MODEL", str(tiny_asr_model))
    monkeypatch.setenv("VIDSCRIBE_REDIS_URL", redis_url)
    monkeypatch.setenv("VIDSCRIBE_DATA", str(data_root))
    second = tmp_path / "second.mp4"
    second.write_bytes(clips["small"].read_bytes() + b"\0")  # other bytes, other video ID; still decodes
    result = CliRunner().invoke(cli, ["enqueue", str(clips["small"]), str(second)])
    assert result.stdout.count("\tqueued") == 2, result.output

    speech_model.release()
    before = speech_model.load_count()
    # In this process, as `vidscribe worker` runs it: no fork per job.
    make_worker(Redis.from_url(redis_url), heartbeat=10).work(burst=True, with_scheduler=False)
    store = Store(data_root)
    ids = store.video_ids()
    assert len(ids) == 2
    assert all(store.load(i).stages["speech"].status == "done" for i in ids)
    assert speech_model.load_count() - before == 1
