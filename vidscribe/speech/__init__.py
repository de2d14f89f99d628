"""The speech stage: what was said, word by word, with timestamps (faster-whisper).

`STAGE` (from `vidscribe.speech.stage`) is what the pipeline registers. faster-whisper itself is
imported only when a clip is transcribed, so importing this package stays cheap for the CLI.
"""

from vidscribe.speech.stage import STAGE, VERSION

__all__ = ["STAGE", "VERSION"]
