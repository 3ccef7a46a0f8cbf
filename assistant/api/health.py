"""``GET /healthz`` (the process is up) and ``GET /readyz`` (the index can answer)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..service import Assistant
from .common import get_assistant

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    """Always 200 while the server runs."""
    return {"status": "ok"}


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
