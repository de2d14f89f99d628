"""Lexicons: term lists users edit, matched on folded (simplified, half-width) text.

File format (UTF-8, one term per line):

    # a comment
    [pay]               <- a category; terms below carry it (default: the file's name)
    月薪
    выплат*             <- "*" at the end: also words that begin with it (выплата, выплаты)

Chinese terms match anywhere; Latin and Cyrillic terms match whole words (or word beginnings,
with "*"), case-insensitively. Where terms overlap the longest wins: "签约奖金" over "奖金".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from vidscribe.analysis.text import Match, fold
from vidscribe.errors import ConfigError
from vidscribe.settings import parse_lexicons

# Characters of space-separated words (and of IDs: "recruit_demo" is not the word "recruit").
_ALNUM = r"[A-Za-z0-9_\u00C0-\u024F\u0400-\u04FF]"


@dataclass(frozen=True)
class Term:
    text: str  # folded, as written in the file ("*" included): the finding's value
    category: str


@dataclass(frozen=True)
class Lexicon:
    name: str
    terms: tuple[Term, ...]

    @functools.cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """One alternation, longest term first, each a named group `t<index>`."""
        if not self.terms:
            return None
        order = sorted(range(len(self.terms)), key=lambda i: len(self.terms[i].text), reverse=True)
        return re.compile("|".join(f"(?P<t{i}>{_term_pattern(self.terms[i].text)})" for i in order),
                          re.IGNORECASE)


def _term_pattern(text: str) -> str:
    words = []
    for word in text.split():
        stem = word.rstrip("*")
        words.append(re.escape(stem) + (f"{_ALNUM}*" if word.endswith("*") else ""))
    body = r"\s+".join(words)
    before = rf"(?<!{_ALNUM})" if re.match(_ALNUM, text[0]) else ""
    after = rf"(?!{_ALNUM})" if re.match(_ALNUM, text.rstrip("*")[-1]) or text.endswith("*") else ""
    return f"{before}{body}{after}"


def parse_lexicon(text: str, name: str) -> Lexicon:
    category = name
    terms: dict[str, Term] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1].strip() or name
            continue
        word = " ".join(fold(line).split())
        if word.strip("*"):
            terms.setdefault(word.lower(), Term(word, category))
    return Lexicon(name, tuple(terms.values()))


def load_lexicon(path: Path) -> Lexicon:
    try:
        return parse_lexicon(path.read_text(encoding="utf-8"), path.stem)
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read lexicon {path}: {e}") from None


def load_lexicons(spec: str) -> list[Lexicon]:
    """The lexicons a `lexicons` setting value names (see `vidscribe.settings.parse_lexicons`)."""
    try:
        paths = parse_lexicons(spec)
    except ValueError as e:
        raise ConfigError(f"lexicons: {e}") from None
    return [load_lexicon(p) for p in paths]


def find_terms(text: str, lexicons: list[Lexicon]) -> list[Match]:
    """Lexicon hits in `text` (folded): value is the term as the lexicon writes it."""
    out: list[Match] = []
    for lex in lexicons:
        if lex.pattern is None:
            continue
        for m in lex.pattern.finditer(text):
            assert m.lastgroup is not None
            term = lex.terms[int(m.lastgroup[1:])]
            out.append(Match("lexicon", term.text, m.start(), m.end(), label=term.category))
    return sorted(out, key=lambda m: m.start)
