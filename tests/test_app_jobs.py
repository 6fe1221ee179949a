"""The dashboard's background jobs (an upload's analysis) start from a fork server (`app.ForkServerJobs`)."""

from __future__ import annotations

import os

import diskcache
import psutil


def test_bug_a_job_is_not_forked_from_the_threaded_server(tmp_path):
    """QA: jobs forked from the server while another request's thread was inside SQLite inherited SQLite's lock
    held and hung in their first `sqlite3.connect`: 2 of ~15 uploads under concurrent queries never answered."""
    from app import ForkServerJobs

    jobs = ForkServerJobs(diskcache.Cache(str(tmp_path / "jobs")), expire=60)
    pid = jobs.call_job_fn("key", lambda *_: __import__("time").sleep(5), {}, {})
    job = psutil.Process(pid)
    try:
        assert job.ppid() != os.getpid() and job.parent().pid != os.getpid()
    finally:
        job.kill()
