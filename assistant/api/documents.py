"""Documents and clauses: list, clause tree, one clause with its neighbours; uploads and jobs.

An upload is checked and stored within its request and indexed by a background job: the
answer is ``202`` with the job (its id, state and ``status_url``, also in ``Location``), and
``GET /api/jobs/{id}`` tells how the indexing goes and, when done, the same report a
synchronous upload gave (``status``, ``doc_id``, ``file_name``, ``clauses``, ``document``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from ..service import Assistant, QuestionError
from ..types import FileReport
from .common import Catalog, clause_public, clause_tree, document_summary, get_catalog
from .jobs import Job, JobFailed, JobQueue, Progress, status_url
from .uploads import Received, UploadError, Uploads

#: Room for the multipart boundaries and part headers around an uploaded file.
UPLOAD_OVERHEAD_BYTES = 64 * 1024

router = APIRouter(prefix="/api", tags=["assistant"])


def get_uploads(request: Request) -> Uploads:
    """The app's uploads folder (a FastAPI dependency)."""
    return request.app.state.uploads


def get_jobs(request: Request) -> JobQueue:
    """The app's background jobs (a FastAPI dependency)."""
    return request.app.state.jobs


def accepted(job: Job) -> JSONResponse:
    """``202 Accepted`` with the job and where to follow it."""
    return JSONResponse(job.public(), status_code=202, headers={"Location": status_url(job.id)})


def index_upload(uploads: Uploads, received: Received, progress: Progress) -> FileReport:
    """Index a received upload inside a job; a file that cannot be indexed fails the job."""
    try:
        return uploads.index(received, progress)
    except UploadError as exc:
        raise JobFailed(str(exc)) from exc


def upload_report(catalog: Catalog, name: str, report: FileReport) -> dict:
    """What a finished upload reports: its status, document id, stored name and clauses."""
    catalog.invalidate()
    clauses = catalog.snapshot().by_doc.get(report.doc_id or "", [])
    return {"status": report.status, "doc_id": report.doc_id, "file_name": name,
            "clauses": report.clauses or len(clauses),
            "document": document_summary(clauses, catalog.snapshot().versions) if clauses else None}


def as_of_day(as_of: str | None = Query(
        None, description="The date statuses are read on, YYYY-MM-DD (default: today).")) -> str:
    """The ``as_of`` query parameter checked (422 with the reason when it is not a date)."""
    try:
        return Assistant.check_as_of(as_of)
    except QuestionError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/documents", summary="List the indexed documents")
def list_documents(catalog: Catalog = Depends(get_catalog), as_of: str = Depends(as_of_day)) -> dict:
    """Title, issuer, 文号, date, status, clause count and validity on ``as_of`` of every
    indexed document."""
    snap = catalog.snapshot()
    docs = [document_summary(clauses, snap.versions, as_of) for clauses in snap.by_doc.values()]
    return {"documents": sorted(docs, key=lambda d: d["doc_id"]), "as_of": as_of}


@router.get("/documents/{doc_id}", summary="A document's metadata and clause tree")
def get_document(doc_id: str, catalog: Catalog = Depends(get_catalog),
                 as_of: str = Depends(as_of_day)) -> dict:
    """The document's metadata, validity on ``as_of`` and its clauses nested by section path."""
    snap = catalog.snapshot()
    clauses = snap.by_doc.get(doc_id)
    if not clauses:
        raise HTTPException(404, f"no indexed document with id {doc_id!r}")
    return {**document_summary(clauses, snap.versions, as_of), "tree": clause_tree(clauses)}


@router.get("/chunks/{chunk_id}", summary="A clause with the clauses around it")
def get_chunk(chunk_id: str, catalog: Catalog = Depends(get_catalog)) -> dict:
    """The clause, its document, and the previous and next clauses of that document."""
    snap = catalog.snapshot()
    clause = snap.by_id.get(chunk_id)
    if clause is None:
        raise HTTPException(404, f"no indexed clause with id {chunk_id!r}")
    siblings = snap.by_doc[clause.doc_id]
    at = next(i for i, c in enumerate(siblings) if c.chunk_id == chunk_id)
    return {
        "clause": clause_public(clause),
        "document": document_summary(siblings, snap.versions),
        "previous": clause_public(siblings[at - 1]) if at > 0 else None,
        "next": clause_public(siblings[at + 1]) if at + 1 < len(siblings) else None,
    }


@router.post("/documents", status_code=202, summary="Upload a file to index",
             responses={202: {"description": "Stored; indexed by the job at the Location URL"}})
def upload_document(file: UploadFile = File(..., description="A .txt, .md, .pdf or .docx file."),
                    uploads: Uploads = Depends(get_uploads),
                    catalog: Catalog = Depends(get_catalog),
                    jobs: JobQueue = Depends(get_jobs)) -> JSONResponse:
    """Store the file in the uploads folder; a background job indexes it.

    400 for an unsupported, mislabelled or unreadable file and 413 for one over the size
    limit (nothing is kept). Otherwise 202 with the job: follow ``status_url`` (also the
    ``Location`` header) until its state is ``done`` (``result`` holds the report) or
    ``failed`` (``error`` says why; the index is unchanged).
    """
    try:
        received = uploads.receive(file.filename, file.file)
    except UploadError as exc:
        raise HTTPException(exc.status, str(exc)) from exc

    def work(progress: Progress) -> dict:
        return upload_report(catalog, received.name, index_upload(uploads, received, progress))

    return accepted(jobs.submit("upload", work, file_name=received.name, job_id=received.key))


@router.get("/jobs", summary="Recent background jobs")
async def list_jobs(request: Request) -> dict:
    """Every job still remembered (running, queued and recently finished), newest first."""
    # Async and no dependency functions: the answer never waits for a thread of the pool,
    # which questions may all be holding.
    return {"jobs": request.app.state.jobs.recent()}


@router.get("/jobs/{job_id}", summary="A background job's state, progress and result")
async def get_job(job_id: str, request: Request) -> dict:
    """``state`` (queued, running, done, failed), ``progress`` (stage, done, total), and when
    finished the ``result`` or the ``error``. 404 for an unknown or long-finished job."""
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job with id {job_id!r}: it never existed, or finished "
                            "long ago and was forgotten")
    return job
