"""Corpus-wide work over every stored transcript: search (full text, and findings by their
normalised values) and spreadsheet exports."""

from vidscribe.corpus.export import FORMATS, export_findings, export_transcripts
from vidscribe.corpus.index import TRACKS, IndexStats, rebuild_index, update_index
from vidscribe.corpus.query import Hit, SearchHit, count_matches, search
from vidscribe.corpus.safe import one_line

__all__ = ["FORMATS", "TRACKS", "Hit", "IndexStats", "SearchHit", "count_matches", "export_findings",
           "export_transcripts", "one_line", "rebuild_index", "search", "update_index"]
