"""Managing uploaded documents over HTTP: which documents are uploads, delete one, replace one.

Routes (under ``/api``, so they need the API key when one is set):

- ``GET /api/uploads``: the ids of the documents that came from an upload (only those can be
  deleted or replaced; documents of the corpus folder are managed on disk) and the file types
  an upload may have.
- ``DELETE /api/documents/{doc_id}``: remove an uploaded document's file and its clauses.
- ``POST /api/documents/{doc_id}/replace`` (multipart ``file``): index a new file in place of an
  uploaded document; the old one goes only after the new one is indexed. The file is checked
  within the request (400, 413) and indexed by a background job: ``202`` with the job, as for
  an upload (see :mod:`.documents`). Its body needs the upload size limit
  (see :func:`is_replace_path`).

The routes read the app's catalogue and uploads folder from ``app.state``. Removal goes
through the ordinary ingest with ``prune``: the file is deleted, then the uploads folder is
re-ingested, which drops the clauses of files that no longer exist and refreshes the
retriever, under the same lock as every other ingest.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from ..reading.parsing import SUPPORTED_SUFFIXES
from .documents import accepted, index_upload, upload_report
from .jobs import Progress
from .uploads import UploadError

if TYPE_CHECKING:
    from .common import Catalog
    from .uploads import Uploads

router = APIRouter(tags=["assistant"])

# Delete and replace each read, then change, the uploads folder: one at a time.
_lock = threading.Lock()


def is_replace_path(path: str) -> bool:
    """Whether a request path is a replacement upload (it needs the upload body limit)."""
    return path.startswith("/api/documents/") and path.endswith("/replace")


def _state(request: Request) -> tuple[Catalog, Uploads]:
    return request.app.state.catalog, request.app.state.uploads


def upload_source(catalog: Catalog, uploads: Uploads, doc_id: str) -> Path | None:
    """The uploaded file a document came from, or None when it is not an upload (404 if unknown)."""
    clauses = catalog.snapshot().by_doc.get(doc_id)
    if not clauses:
        raise HTTPException(404, f"no indexed document with id {doc_id!r}")
    meta = clauses[0].meta
    if not meta or not meta.source:
        return None
    source = Path(meta.source)
    return source if source.parent == uploads.folder.resolve() else None


def _require_upload(catalog: Catalog, uploads: Uploads, doc_id: str) -> Path:
    source = upload_source(catalog, uploads, doc_id)
    if source is None:
        raise HTTPException(409, f"document {doc_id!r} is not an upload: files of the corpus "
                            "folder are removed on disk and with 'assistant ingest --prune'")
    return source


def _prune(catalog: Catalog, uploads: Uploads) -> None:
    uploads.assistant.ingest([uploads.folder], prune=True)
    catalog.invalidate()


@router.get("/api/uploads", summary="Ids of the uploaded documents and the accepted file types")
def list_uploads(request: Request) -> dict:
    """Documents that came from an upload (only these can be deleted or replaced), and the
    suffixes an upload may have (``.txt``, ``.pdf``, …)."""
    catalog, uploads = _state(request)
    folder = uploads.folder.resolve()
    ids = [doc_id for doc_id, clauses in catalog.snapshot().by_doc.items()
           if clauses[0].meta and clauses[0].meta.source and Path(clauses[0].meta.source).parent == folder]
    return {"doc_ids": sorted(ids), "suffixes": sorted(SUPPORTED_SUFFIXES)}


@router.delete("/api/documents/{doc_id}", summary="Delete an uploaded document")
def delete_document(doc_id: str, request: Request) -> dict:
    """Remove the uploaded file and its clauses; 409 for a document of the corpus folder."""
    catalog, uploads = _state(request)
    with _lock:
        source = _require_upload(catalog, uploads, doc_id)
        source.unlink(missing_ok=True)
        _prune(catalog, uploads)
    return {"status": "removed", "doc_id": doc_id}


@router.post("/api/documents/{doc_id}/replace", status_code=202,
             summary="Replace an uploaded document")
def replace_document(doc_id: str, request: Request, file: UploadFile = File(
        ..., description="The new .txt, .md, .pdf or .docx file.")) -> JSONResponse:
    """Store the new file; a background job indexes it, then removes the old one (202).

    A bad file is refused here (400, 413) and nothing changes; one that fails to index fails
    the job and the old document stays.
    """
    catalog, uploads = _state(request)
    _require_upload(catalog, uploads, doc_id)
    try:
        received = uploads.receive(file.filename, file.file)
    except UploadError as exc:
        raise HTTPException(exc.status, str(exc)) from exc

    def work(progress: Progress) -> dict:
        with _lock:
            # Looked up again: an earlier job or a delete may have changed it meanwhile.
            old = upload_source(catalog, uploads, doc_id) if doc_id in catalog.snapshot().by_doc else None
            report = index_upload(uploads, received, progress)
            if old is not None and received.name != old.name:  # same name: already in its place
                old.unlink(missing_ok=True)
                _prune(catalog, uploads)
            return {**upload_report(catalog, received.name, report), "replaced": doc_id}

    job = request.app.state.jobs.submit("replace", work, file_name=received.name,
                                        job_id=received.key)
    return accepted(job)
