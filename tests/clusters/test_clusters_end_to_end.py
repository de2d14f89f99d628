"""Reposts end to end: generated clips (a source, its mirrored and cropped re-encode, an unrelated
clip with the same backdrop, intro card and subtitle font) through the media and fingerprint
stages, then `vidscribe clusters` (CliRunner) and GET /api/clusters."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from vidscribe import pipeline
from vidscribe.cli import cli
from vidscribe.clusters.synthetic import SourceSpec, render_source, repost
from vidscribe.serve import create_app
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store

SIZE = (320, 180)
DATES = {"source": "20240310", "repost": "20240301", "unrelated": "20240305"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("reposts")
    media = root / "media"
    source = media / "source.mp4"
    render_source(SourceSpec(seed=1, family=0, width=SIZE[0], height=SIZE[1], duration=5.0, intro=1.0), source)
    files = {"source": source,
             "repost": repost(source, media / "repost.mp4", "mirror+crop", *SIZE, 5.0),
             "unrelated": media / "unrelated.mp4"}
    render_source(SourceSpec(seed=2, family=0, width=SIZE[0], height=SIZE[1], duration=5.0, intro=1.0),
                  files["unrelated"])
    data = root / "data"
    settings = Settings.load(env={}, data=str(data))
    store = Store(data)
    ids = {}
    for name, path in files.items():
        t = pipeline.process(str(path), settings, store, stages=["fingerprint"])
        assert t.stages["fingerprint"].status == "done", t.stages
        assert t.fingerprint is not None and t.fingerprint.frames
        ids[name] = t.video.id
        store.update(t.video.id, lambda t, name=name: dataclasses.replace(
            t, video=dataclasses.replace(t.video, upload_date=DATES[name], uploader=f"@{name}_account")))
    return data, ids


def test_clusters_cli_groups_the_repost_with_its_source_first_poster_first(corpus):
    data, ids = corpus
    result = CliRunner().invoke(cli, ["clusters", "--data", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    clusters = json.loads(result.stdout)
    assert len(clusters) == 1
    (cluster,) = clusters
    videos = cluster["videos"]
    assert [v["video_id"] for v in videos] == [ids["repost"], ids["source"]]  # by upload date, not by processing
    assert [v["first"] for v in videos] == ["yes", "no"]
    assert videos[0]["uploader"] == "@repost_account"
    evidence = videos[1]["evidence"]
    assert videos[1]["matched_with"] == ids["repost"] and evidence["same_footage"]
    assert evidence["coverage"] >= 0.9
    spans = evidence["footage"]
    assert spans and spans[0]["a_start"] <= 1.0 and spans[-1]["a_end"] >= 4.5  # the whole clip, in both
    mirrored = [s for s in spans if s["variant_a"].endswith("~") != s["variant_b"].endswith("~")]
    assert mirrored, spans
    assert ids["unrelated"] not in json.dumps(clusters)
    assert "3 videos" in result.stderr and "1 matched pairs" in result.stderr


def test_clusters_table_and_csv(corpus, tmp_path: Path):
    data, ids = corpus
    table = CliRunner().invoke(cli, ["clusters", "--data", str(data)])
    assert table.exit_code == 0, table.output
    assert "cluster 1: 2 videos, first posted by @repost_account (20240301)" in table.stdout
    assert "mirrored" in table.stdout
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(cli, ["clusters", "--data", str(data), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["rank"], r["video_id"], r["first"]) for r in rows] == [("1", ids["repost"], "yes"),
                                                                     ("2", ids["source"], "no")]
    rebuilt = CliRunner().invoke(cli, ["clusters", "--data", str(data), "--rebuild", "--format", "jsonl"])
    assert rebuilt.exit_code == 0 and len(rebuilt.stdout.splitlines()) == 2


@pytest.fixture()
def client(corpus) -> Iterator[TestClient]:
    data, _ = corpus
    settings = Settings.load(env={}, data=str(data), redis_url="redis://127.0.0.1:9/0")
    with TestClient(create_app(settings, background=False, allowed_hosts=["testserver"])) as c:
        yield c


def test_clusters_api(client: TestClient, corpus):
    _, ids = corpus
    body = client.get("/api/clusters").json()
    assert [v["video_id"] for v in body["clusters"][0]["videos"]] == [ids["repost"], ids["source"]]
    assert body["index"]["videos"] == 3
    assert client.get("/api/clusters", params={"min_size": 3}).json()["clusters"] == []
    bad = client.get("/api/clusters", params={"min_size": "many"})
    assert bad.status_code == 400 and "min_size" in bad.json()["error"]


def test_clusters_api_says_when_the_index_cannot_be_written(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "clusters.sqlite").mkdir()  # a folder where the database should be
    settings = Settings.load(env={}, data=str(data), redis_url="redis://127.0.0.1:9/0")
    with TestClient(create_app(settings, background=False, allowed_hosts=["testserver"])) as c:
        response = c.get("/api/clusters")
    assert response.status_code == 503 and "repost index" in response.json()["error"]
