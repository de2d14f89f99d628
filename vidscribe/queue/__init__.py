"""The service form: RQ queues in Redis (JSON-serialised jobs, never pickle), one graph of jobs per video."""
