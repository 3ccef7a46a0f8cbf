"""Managing uploaded documents over HTTP: which documents are uploads, delete one, replace one.

Routes (added to the ``/api`` router, so they need the API key when one is set):

- ``GET /api/uploads``: the ids of the documents that came from an upload (only those can be
  deleted or replaced; documents of the corpus folder are managed on disk) and the file types
  an upload may have.
- ``DELETE /api/documents/{doc_id}``: remove an uploaded document's file and its clauses.
- ``POST /api/documents/{doc_id}/replace`` (multipart ``file``): index a new file in place of an
  uploaded document; the old one goes only after the new one is indexed.

Removal goes through the ordinary ingest with ``prune``: the file is deleted, then the uploads
folder is re-ingested, which drops the clauses of files that no longer exist and refreshes the
retriever, under the same lock as every other ingest.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, File, HTTPException, UploadFile

from .parsing import SUPPORTED_SUFFIXES

if TYPE_CHECKING:  # the app module imports this one; the types are only for reading
    from .api import Catalog, Uploads


class LibraryRoutes:
    """The upload-management routes over the app's catalogue and uploads folder."""

    def __init__(self, catalog: Catalog, uploads: Uploads) -> None:
        self.catalog = catalog
        self.uploads = uploads
        # Delete and replace each read, then change, the uploads folder: one at a time.
        self._lock = threading.Lock()

    def upload_source(self, doc_id: str) -> Path | None:
        """The uploaded file a document came from, or None when it is not an upload."""
        clauses = self.catalog.snapshot().by_doc.get(doc_id)
        if not clauses:
            raise HTTPException(404, f"no indexed document with id {doc_id!r}")
        meta = clauses[0].meta
        if not meta or not meta.source:
            return None
        source = Path(meta.source)
        return source if source.parent == self.uploads.folder.resolve() else None

    def uploaded_ids(self) -> list[str]:
        """Ids of every indexed document whose file is in the uploads folder."""
        folder = self.uploads.folder.resolve()
        out = []
        for doc_id, clauses in self.catalog.snapshot().by_doc.items():
            meta = clauses[0].meta
            if meta and meta.source and Path(meta.source).parent == folder:
                out.append(doc_id)
        return sorted(out)

    def _require_upload(self, doc_id: str) -> Path:
        source = self.upload_source(doc_id)
        if source is None:
            raise HTTPException(409, f"document {doc_id!r} is not an upload: files of the corpus "
                                "folder are removed on disk and with 'assistant ingest --prune'")
        return source

    def _prune(self) -> None:
        self.uploads.assistant.ingest([self.uploads.folder], prune=True)
        self.catalog.invalidate()

    def delete(self, doc_id: str) -> dict:
        """Remove an uploaded document: its file, then its clauses."""
        with self._lock:
            source = self._require_upload(doc_id)
            source.unlink(missing_ok=True)
            self._prune()
        return {"status": "removed", "doc_id": doc_id}

    def replace(self, doc_id: str, file: UploadFile) -> dict:
        """Index ``file`` in place of an uploaded document (the old one stays if it fails)."""
        from .api import UploadError, document_summary  # the app module imports this one

        with self._lock:
            old = self._require_upload(doc_id)
            try:
                name, report = self.uploads.add(file.filename, file.file)
            except UploadError as exc:
                raise HTTPException(exc.status, str(exc)) from exc
            if name != old.name:  # under the same name the upload already took its place
                old.unlink(missing_ok=True)
                self._prune()
            self.catalog.invalidate()
            clauses = self.catalog.snapshot().by_doc.get(report.doc_id or "", [])
            return {"status": report.status, "replaced": doc_id, "doc_id": report.doc_id,
                    "file_name": name, "clauses": report.clauses or len(clauses),
                    "document": document_summary(clauses) if clauses else None}

    def register(self, api: APIRouter) -> None:
        """Add the routes to the ``/api`` router (before it is included in the app)."""

        @api.get("/uploads", summary="Ids of the uploaded documents and the accepted file types")
        def list_uploads() -> dict:
            """Documents that came from an upload (only these can be deleted or replaced), and
            the suffixes an upload may have (``.txt``, ``.pdf``, …)."""
            return {"doc_ids": self.uploaded_ids(), "suffixes": sorted(SUPPORTED_SUFFIXES)}

        @api.delete("/documents/{doc_id}", summary="Delete an uploaded document")
        def delete_document(doc_id: str) -> dict:
            """Remove the uploaded file and its clauses; 409 for a document of the corpus folder."""
            return self.delete(doc_id)

        @api.post("/documents/{doc_id}/replace", summary="Replace an uploaded document")
        def replace_document(doc_id: str, file: UploadFile = File(
                ..., description="The new .txt, .md, .pdf or .docx file.")) -> dict:
            """Index the new file, then remove the old one; on a bad file nothing changes (400)."""
            return self.replace(doc_id, file)
