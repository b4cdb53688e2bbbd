"""Heavy work off the event loop: a bounded pool of worker processes (`JobPool`).

Jobs are module-level functions of other rooms, run with picklable arguments (bytes and Structs); the
pool bounds how many run and wait, how long one may take and how much memory a worker may keep.
"""

from mailseal.jobs.pool import JobEvent, JobLimits, JobPool, Observer

__all__ = ["JobEvent", "JobLimits", "JobPool", "Observer"]
