"""The align stage: what was said next to what the subtitles showed, on one timeline."""

from vidscribe.align.agreement import DISAGREEMENT_THRESHOLD, agreement, comparison_key
from vidscribe.align.core import align
from vidscribe.align.stage import STAGE, run

__all__ = ["DISAGREEMENT_THRESHOLD", "STAGE", "agreement", "align", "comparison_key", "run"]
