"""`vidscribe worker`: an RQ worker that keeps models loaded between jobs and recovers killed jobs."""

from vidscribe.worker.worker import VidscribeWorker, run_worker

__all__ = ["VidscribeWorker", "run_worker"]
