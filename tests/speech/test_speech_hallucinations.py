"""The last filter against hallucinations: the shipped list, and what it removes and keeps."""

from __future__ import annotations

import pytest

from vidscribe.settings import Settings
from vidscribe.speech.hallucinations import (
    KINDS,
    Entry,
    drop_hallucinations,
    key,
    known,
    only_hallucinations,
    parse,
)
from vidscribe.speech.postprocess import RawSegment, RawWord, postprocess

SETTINGS = Settings()


def spoken(start: float, *words: str) -> RawSegment:
    """A segment whose words are 0.4 s each from `start`."""
    ws = tuple(RawWord(start + 0.4 * i, start + 0.4 * (i + 1), w, 0.9) for i, w in enumerate(words))
    return RawSegment(start=start, end=ws[-1].end, text="".join(words), words=ws)


def test_the_shipped_list_parses_and_covers_the_project_languages() -> None:
    entries = known()
    assert {e.language for e in entries} >= {"ru", "uk", "en", "zh"}
    assert {e.kind for e in entries} == set(KINDS)
    assert all(e.key for e in entries) and len({e.key for e in entries}) == len(entries)  # no duplicates
    assert Entry("ru", "phrase", "Продолжение следует") in entries


def test_matching_ignores_case_punctuation_spacing_and_yo() -> None:
    assert key(" ПРОДОЛЖЕНИЕ   следует...") == key("Продолжение следует") == "продолжениеследует"
    assert key("Ещё") == key("еще")
    entries = known()
    for text in (" Продолжение следует...", "Спасибо за просмотр!", " Thank you.", "谢谢观看！",
                 " Субтитры сделал DimaTorzok Продолжение следует..."):
        assert only_hallucinations(text, entries), text
    for text in (" Продолжение следует завтра в девять", "Контракт на год.", "", " ..."):
        assert not only_hallucinations(text, entries), text


def test_a_segment_of_outro_phrases_is_dropped_speech_around_them_is_kept() -> None:
    segments = [spoken(0, " Служба", " по", " контракту."), spoken(3, " Продолжение", " следует..."),
                spoken(5, " Спасибо", " за", " внимание,", " ждём", " вас.")]
    kept, dropped, cut = drop_hallucinations(segments)
    assert [s.text for s in kept] == [" Служба по контракту.", " Спасибо за внимание, ждём вас."]
    assert (dropped, cut) == (1, 0)


def test_a_credit_glued_to_real_speech_is_cut_out_with_its_words() -> None:
    seg = spoken(10, " До", " свидания.", " Субтитры", " сделал", " Dima", "Torzok")
    (kept,), dropped, cut = drop_hallucinations([seg])
    assert (dropped, cut) == (0, 1)
    assert kept.text == " До свидания." and [w.text for w in kept.words] == [" До", " свидания."]
    assert (kept.start, kept.end) == (10, 10.8)
    alone = spoken(0, " Субтитры", " создавал", " DimaTorzok")
    assert drop_hallucinations([alone]) == ([], 1, 0)


def test_postprocess_applies_the_list_after_the_repetition_guard() -> None:
    raw = [spoken(0, " Служба", " по", " контракту."), spoken(2, " Thank", " you", " for", " watching!"),
           spoken(5, " Позвоните", " нам.", " Субтитры", " сделал", " DimaTorzok")]
    segments, dropped = postprocess(raw, duration=10.0, compression_ratio_threshold=2.4,
                                    script=SETTINGS.chinese_script, language="ru")
    assert [s.text for s in segments] == ["Служба по контракту.", "Позвоните нам."]
    assert dropped == {"hallucination": 1, "credit": 1}


def test_bad_lines_are_refused() -> None:
    assert parse("# comment\n\nru\tphrase\tДо новых встреч\n") == [Entry("ru", "phrase", "До новых встреч")]
    for line in ("ru phrase До новых встреч", "ru\tmaybe\tДо новых встреч", "ru\tphrase\t...", "ru\tphrase"):
        with pytest.raises(ValueError, match="line 1"):
            parse(line)
