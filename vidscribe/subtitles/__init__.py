"""The subtitles stage: burned-in Chinese subtitles as timed cues (PP-OCR), fixed on-screen text
as overlays. `STAGE` is what the pipeline registers; OCR models load on first use."""

from vidscribe.subtitles.stage import STAGE, VERSION

__all__ = ["STAGE", "VERSION"]
