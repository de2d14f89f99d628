"""Settings: environment, options, parsing errors, and the README table staying complete."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vidscribe.errors import ConfigError
from vidscribe.settings import Settings, describe, parse_size

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults():
    s = Settings.load(env={})
    assert s.data == Path("data")
    assert s.max_duration == 1800 and s.max_filesize == 2 * 1024**3
    assert s.allow_private_urls is False and s.asr_vad is True and s.chinese_script == "t2s"


def test_env_then_overrides():
    env = {"VIDSCRIBE_DATA": "/srv/v", "VIDSCRIBE_MAX_FILESIZE": "500M", "VIDSCRIBE_ALLOW_PRIVATE_URLS": "1",
           "VIDSCRIBE_RETRIES": "7"}
    s = Settings.load(env=env, retries="2", max_duration=None)
    assert s.data == Path("/srv/v") and s.max_filesize == 500 * 1024**2
    assert s.allow_private_urls is True and s.retries == 2 and s.max_duration == 1800


@pytest.mark.parametrize(("name", "value"), [("VIDSCRIBE_RETRIES", "many"), ("VIDSCRIBE_ASR_VAD", "maybe"),
                                             ("VIDSCRIBE_CHINESE_SCRIPT", "hk"), ("VIDSCRIBE_MAX_FILESIZE", "2X")])
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.load(env={name: value})


def test_sizes():
    assert parse_size("10K") == 10240 and parse_size("2G") == 2 * 1024**3 and parse_size("123") == 123
    assert parse_size("1.5MiB") == int(1.5 * 1024**2)


def test_readme_lists_every_setting():
    text = README.read_text(encoding="utf-8")
    missing = [env for env, *_ in describe() if env not in text]
    assert not missing, f"README settings table lacks {missing}"
    assert len(describe()) == len(dataclasses.fields(Settings))


def test_readme_table_is_current():
    from click.testing import CliRunner

    from vidscribe.cli import cli

    table = CliRunner().invoke(cli, ["settings", "--markdown"]).output
    text = README.read_text(encoding="utf-8")
    current = text.split("<!-- settings -->\n", 1)[1].split("<!-- /settings -->", 1)[0]
    assert current == table, "README settings table is stale: regenerate with `vidscribe settings --markdown`"
