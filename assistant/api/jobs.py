"""Background jobs: indexing an upload runs here, one job at a time, while requests go on.

An upload is checked and saved within its request, then indexed by a job; the client gets
``202`` with the job's id and polls ``GET /api/jobs/{id}`` for its state (``queued``,
``running``, ``done``, ``failed``), its progress (``stage``, ``done``, ``total``, as the
ingest reports it) and, when finished, its result or the reason it failed.

One worker thread runs the jobs in the order they were submitted: ingests take the index's
write lock one at a time anyway, and in order an upload followed by a replacement of the same
file ends as the client expects. A job that raises is marked failed with the reason; the
worker goes on with the next one. Finished jobs are kept for a while (the newest
:data:`HISTORY` of them) so a client that polls late still learns the outcome.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

log = logging.getLogger(__name__)

#: Finished jobs kept for polling; older ones are forgotten (their id then answers 404).
HISTORY = 200

#: The states a job goes through; ``done`` and ``failed`` are final.
STATES = ("queued", "running", "done", "failed")

#: progress(stage, done, total), as :meth:`Assistant.ingest` calls it.
Progress = Callable[[str, int, int], None]

#: What a job runs: given a progress callback, returns the result to report.
Work = Callable[[Progress], dict]


class JobFailed(Exception):
    """A job that cannot finish for a reason the client should read (a bad file, say)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    """One background job and what a client may know about it."""

    id: str
    kind: str
    file_name: str | None = None
    state: str = "queued"
    stage: str | None = None
    done: int = 0
    total: int = 0
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    result: dict | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the job is done or failed."""
        return self.state in ("done", "failed")

    def public(self) -> dict:
        """The job as ``GET /api/jobs/{id}`` returns it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "file_name": self.file_name,
            "state": self.state,
            "progress": {"stage": self.stage, "done": self.done, "total": self.total},
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "result": self.result,
            "error": self.error,
            "status_url": status_url(self.id),
        }


def status_url(job_id: str) -> str:
    """Where a job's state is read."""
    return f"/api/jobs/{job_id}"


class JobQueue:
    """Jobs run one at a time, in order, by one worker thread started on the first submit.

    ``on_finish(job)`` is called by the worker after every job (e.g. to refresh what the
    health check reports); a failure there is logged and ignored.
    """

    def __init__(self, history: int = HISTORY, on_finish: Callable[[Job], None] | None = None) -> None:
        self.history = history
        self.on_finish = on_finish
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[tuple[Job, Work] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, kind: str, work: Work, file_name: str | None = None,
               job_id: str | None = None) -> Job:
        """Queue ``work``; the job, in state ``queued``, is returned at once."""
        job = Job(id=job_id or uuid.uuid4().hex, kind=kind, file_name=file_name)
        with self._lock:
            self._jobs[job.id] = job
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="assistant-jobs", daemon=True)
                self._worker.start()
        self._queue.put((job, work))
        return job

    def get(self, job_id: str) -> dict | None:
        """A job's public state, or None for an unknown (or long forgotten) id."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.public() if job else None

    def recent(self) -> list[dict]:
        """Every job still known, newest first."""
        with self._lock:
            return [job.public() for job in reversed(self._jobs.values())]

    def counts(self) -> dict[str, int]:
        """How many jobs are queued and running (cheap: for the health check)."""
        with self._lock:
            states = [job.state for job in self._jobs.values()]
        return {"queued": states.count("queued"), "running": states.count("running")}

    def record_failed(self, job_id: str, kind: str, error: str, file_name: str | None = None) -> None:
        """Remember a job that ended before this process could run it (e.g. a crash)."""
        job = Job(id=job_id, kind=kind, file_name=file_name, state="failed", error=error,
                  finished_at=_now())
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()

    def wait(self, job_id: str, timeout: float = 60.0) -> dict | None:
        """Block until a job is finished (or the timeout passes); its public state."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.get(job_id)
            if state is None or state["state"] in ("done", "failed") or time.monotonic() > deadline:
                return state
            time.sleep(0.02)

    def close(self, timeout: float = 5.0) -> None:
        """Let the worker finish its current job and stop (queued jobs stay queued)."""
        worker = self._worker
        if worker is not None and worker.is_alive():
            self._queue.put(None)
            worker.join(timeout)

    # --- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, work = item
            self._execute(job, work)

    def _execute(self, job: Job, work: Work) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            # Plain attribute writes: a reader sees the old or the new value, both fine.
            job.stage, job.done, job.total = stage, done, total

        job.state, job.started_at = "running", _now()
        try:
            result = work(progress)
        except JobFailed as exc:
            self._finish(job, error=str(exc))
        except Exception as exc:  # the worker must outlive any job
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._finish(job, error=f"internal error ({exc.__class__.__name__}: {exc}); "
                                    "the server log has the details")
        else:
            self._finish(job, result=result)
        if self.on_finish is not None:
            try:
                self.on_finish(job)
            except Exception as exc:
                log.warning("after job %s: %s", job.id, exc)

    def _finish(self, job: Job, result: dict | None = None, error: str | None = None) -> None:
        with self._lock:
            job.result, job.error = result, error
            job.state = "failed" if error is not None else "done"
            job.finished_at = _now()
            self._forget_old()

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.finished]
        for job_id in finished[:max(0, len(finished) - self.history)]:
            del self._jobs[job_id]
