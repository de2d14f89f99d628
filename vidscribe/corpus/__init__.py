"""Corpus-wide work over every stored transcript: full-text search and spreadsheet exports."""

from vidscribe.corpus.export import FORMATS, export_findings, export_transcripts
from vidscribe.corpus.index import Hit, IndexStats, count_matches, rebuild_index, search, update_index

__all__ = ["FORMATS", "Hit", "IndexStats", "count_matches", "export_findings", "export_transcripts",
           "rebuild_index", "search", "update_index"]
