"""Settings: environment, options, parsing errors, and the README table staying complete."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vidscribe.errors import ConfigError
from vidscribe.settings import Settings, describe, fields_in, format_size, parse_size

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
                                             ("VIDSCRIBE_CHINESE_SCRIPT", "hk"), ("VIDSCRIBE_MAX_FILESIZE", "2X"),
                                             ("VIDSCRIBE_MAX_ENTRIES", "-5")])
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


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("VIDSCRIBE_ASR_TEMPERATURES", "0,hot", "temperatures"),
    ("VIDSCRIBE_ASR_TEMPERATURES", "-1", "temperatures"),
    ("VIDSCRIBE_PHONE_REGIONS", "RU,XX", "XX"),
    ("VIDSCRIBE_LEXICONS", "default,/no/such/lexicon", "/no/such/lexicon"),
])
def test_list_values_are_parsed_when_settings_load(name, value, reason):
    with pytest.raises(ConfigError, match=name) as raised:
        Settings.load(env={name: value})
    assert reason in str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(ConfigError, match="--" + name.removeprefix("VIDSCRIBE_").lower().replace("_", "-")):
        Settings.load(env={}, **{name.removeprefix("VIDSCRIBE_").lower(): value})
    with pytest.raises(ConfigError, match=name):  # built directly, not through load: checked too
        Settings(**{name.removeprefix("VIDSCRIBE_").lower(): value})


def test_parsed_list_values(tmp_path):
    folder = tmp_path / "lexicons"
    folder.mkdir()
    (folder / "a.txt").write_text("签约\n", encoding="utf-8")
    (folder / "notes.md").write_text("not a lexicon\n", encoding="utf-8")
    s = Settings.load(env={"VIDSCRIBE_ASR_TEMPERATURES": "0, 0.5", "VIDSCRIBE_PHONE_REGIONS": " ru, cn ",
                           "VIDSCRIBE_LEXICONS": f"default,{folder}"})
    assert s.asr_temperature_values == (0.0, 0.5)
    assert s.phone_region_codes == ("RU", "CN")
    assert s.lexicon_paths[0].name == "recruitment.txt" and s.lexicon_paths[0].is_file()
    assert s.lexicon_paths[1:] == (folder / "a.txt",)
    assert Settings.load(env={"VIDSCRIBE_LEXICONS": ""}).lexicon_paths == ()


def test_values_print_as_the_table_writes_them():
    assert format_size(2 * 1024**3) == "2G" and format_size(500 * 1024**2) == "500M" and format_size(1000) == "1000"
    from click.testing import CliRunner

    from vidscribe.cli import cli

    result = CliRunner().invoke(cli, ["settings"], env={"VIDSCRIBE_ALLOW_PRIVATE_URLS": None,
                                                         "VIDSCRIBE_MAX_FILESIZE": None, "VIDSCRIBE_ASR_VAD": None})
    lines = result.stdout.splitlines()
    assert "VIDSCRIBE_ALLOW_PRIVATE_URLS=0" in lines and "VIDSCRIBE_MAX_FILESIZE=2G" in lines
    assert "VIDSCRIBE_ASR_VAD=1" in lines
    shown = CliRunner().invoke(cli, ["settings"], env={"VIDSCRIBE_MAX_FILESIZE": "500M"}).stdout.splitlines()
    assert "VIDSCRIBE_MAX_FILESIZE=500M" in shown
    help_text = CliRunner().invoke(cli, ["process", "--help"]).output
    assert "2147483648" not in help_text and "default: 2G" in help_text


def test_command_groups():
    assert [f.name for f in fields_in(["store"])] == ["data"]
    assert [f.name for f in fields_in(["store", "queue"], ["allow_private_urls"])] == \
        ["data", "allow_private_urls", "redis_url"]
    with pytest.raises(TypeError):
        fields_in([], ["no_such_setting"])
