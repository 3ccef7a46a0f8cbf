"""``GET /healthz`` (the process is up) and ``GET /readyz`` (the index can answer).

``/healthz`` answers from memory on the event loop: it never waits for the model, the index
or a thread of the pool (which concurrent questions may all hold), so a load balancer's probe
stays fast while an upload is indexed. What it says about the index is the state cached after
start-up and after every background job.
"""

from __future__ import annotations

import threading
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..service import Assistant
from .common import get_assistant

router = APIRouter(tags=["health"])


class IndexState:
    """The clause count as last read, refreshed off the request path (start-up, after jobs)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.clauses: int | None = None
        self.checked_at: float | None = None
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Read the clause count again (blocking: call it from a worker, not a request)."""
        try:
            count: int | None = self.assistant.store.count()
        except Exception:  # an index that cannot be opened: /readyz says why
            count = None
        with self._lock:
            self.clauses, self.checked_at = count, time.time()

    def public(self) -> dict:
        """The cached count and how old it is."""
        with self._lock:
            age = None if self.checked_at is None else round(time.time() - self.checked_at, 1)
            return {"clauses": self.clauses, "age_s": age}


@router.get("/healthz", summary="The process is up")
async def healthz(request: Request) -> dict:
    """Always 200 while the server runs, with the index as last read and the jobs under way."""
    state = request.app.state
    return {"status": "ok", "index": state.index_state.public(), "jobs": state.jobs.counts()}


@router.get("/readyz", summary="The index is loaded")
def readyz(assistant: Assistant = Depends(get_assistant)) -> JSONResponse:
    """200 when the index holds clauses, 503 otherwise (empty, or the store cannot open)."""
    try:
        count = assistant.store.count()
    except Exception as exc:  # any failure to open the index means not ready
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    if count == 0:
        return JSONResponse({"status": "empty", "clauses": 0,
                             "detail": "the index holds no clauses yet"}, status_code=503)
    return JSONResponse({"status": "ready", "clauses": count})
