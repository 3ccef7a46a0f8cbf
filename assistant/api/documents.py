"""Documents and clauses: list, clause tree, one clause with its neighbours, and uploads."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile

from .common import Catalog, clause_public, clause_tree, document_summary, get_catalog
from .uploads import UploadError, Uploads

#: Room for the multipart boundaries and part headers around an uploaded file.
UPLOAD_OVERHEAD_BYTES = 64 * 1024

router = APIRouter(prefix="/api", tags=["assistant"])


def get_uploads(request: Request) -> Uploads:
    """The app's uploads folder (a FastAPI dependency)."""
    return request.app.state.uploads


@router.get("/documents", summary="List the indexed documents")
def list_documents(catalog: Catalog = Depends(get_catalog)) -> dict:
    """Title, issuer, 文号, date, status and clause count of every indexed document."""
    snap = catalog.snapshot()
    docs = [document_summary(clauses) for clauses in snap.by_doc.values()]
    return {"documents": sorted(docs, key=lambda d: d["doc_id"])}


@router.get("/documents/{doc_id}", summary="A document's metadata and clause tree")
def get_document(doc_id: str, catalog: Catalog = Depends(get_catalog)) -> dict:
    """The document's metadata and its clauses nested by section path."""
    clauses = catalog.snapshot().by_doc.get(doc_id)
    if not clauses:
        raise HTTPException(404, f"no indexed document with id {doc_id!r}")
    return {**document_summary(clauses), "tree": clause_tree(clauses)}


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
        "document": document_summary(siblings),
        "previous": clause_public(siblings[at - 1]) if at > 0 else None,
        "next": clause_public(siblings[at + 1]) if at + 1 < len(siblings) else None,
    }


@router.post("/documents", status_code=201, summary="Upload a file to index")
def upload_document(file: UploadFile = File(..., description="A .txt, .md, .pdf or .docx file."),
                    uploads: Uploads = Depends(get_uploads),
                    catalog: Catalog = Depends(get_catalog)) -> dict:
    """Store the file in the uploads folder and index it.

    400 for an unsupported, mislabelled or unreadable file (nothing is kept and the index
    is unchanged); 413 for one over the size limit.
    """
    try:
        name, report = uploads.add(file.filename, file.file)
    except UploadError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    catalog.invalidate()
    clauses = catalog.snapshot().by_doc.get(report.doc_id or "", [])
    return {"status": report.status, "doc_id": report.doc_id, "file_name": name,
            "clauses": report.clauses or len(clauses),
            "document": document_summary(clauses) if clauses else None}
