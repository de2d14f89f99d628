"""The fingerprint stage: perceptual hashes of a clip's pictures and MinHash sketches of its text,
which `vidscribe.clusters` indexes to find the same clip reposted by other accounts.

`STAGE` (from `vidscribe.fingerprint.stage`) is what the pipeline registers.
"""

from vidscribe.fingerprint.stage import STAGE, VERSION

__all__ = ["STAGE", "VERSION"]
