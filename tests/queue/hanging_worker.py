"""`vidscribe worker ARGS...` whose subtitles stage is `hanging_stage` (everything else is real).

    python tests/queue/hanging_worker.py --queues subtitles --name w1
"""

from __future__ import annotations

import sys

from vidscribe import pipeline
from vidscribe.cli import main

if __name__ == "__main__":
    pipeline.STAGE_MODULES["subtitles"] = "hanging_stage"
    sys.argv = ["vidscribe", "worker", *sys.argv[1:]]
    main()
