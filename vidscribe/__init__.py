"""vidscribe: transcripts of recruitment clips from what was said and what the burned-in subtitles showed."""

__version__ = "0.1.0"
