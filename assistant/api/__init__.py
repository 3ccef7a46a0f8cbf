"""The HTTP API and the chat web UI, served by one FastAPI app over one shared :class:`Assistant`.

Routes, one router module each:

- ``ask``: ``POST /api/ask`` and ``POST /api/ask/stream`` (server-sent events).
- ``documents``: ``GET /api/documents``, ``GET /api/documents/{doc_id}``,
  ``GET /api/chunks/{chunk_id}``, ``POST /api/documents`` (upload a file: stored by
  ``uploads``, answered ``202``, indexed by a background job of ``jobs``),
  ``GET /api/jobs/{id}`` and ``GET /api/jobs`` (the jobs' state, progress and result).
- ``library``: ``GET /api/uploads``, ``DELETE /api/documents/{doc_id}``,
  ``POST /api/documents/{doc_id}/replace`` (a job too).
- ``measures``: ``GET /api/measures`` (the support measures, filtered, as JSON, CSV or XLSX)
  and ``POST /api/measures/match`` (the eligibility self-check of a company profile).
- ``openai_compat``: ``POST /v1/chat/completions`` and ``GET /v1/models``.
- ``health``: ``GET /healthz`` (from memory, never waiting), ``GET /readyz``.

``app`` assembles them (plus the OpenAPI docs at ``/docs`` and ``/redoc``, served offline, and the web UI at ``/``) with the
middleware and the error mapping. Two environment variables are read there:
``ASSISTANT_API_KEY`` (when set, every ``/api`` and ``/v1`` route needs
``Authorization: Bearer <key>``, checked before the body is read) and
``ASSISTANT_CORS_ORIGINS`` (a comma-separated list of origins allowed to call the API from a
browser; CORS is off without it).
"""

from .app import ROUTERS, WARMUP_QUESTION, create_app
from .ask import MAX_JSON_BYTES, AskRequest
from .common import Catalog, clause_public, clause_tree, document_summary
from .jobs import Job, JobFailed, JobQueue
from .openai_compat import MAX_CHAT_BYTES, MODEL_ID, answer_pieces, sources_block, split_chat
from .uploads import MAX_NAME_BYTES, UploadError, Uploads, check_file_type, safe_file_name

__all__ = [
    "MAX_CHAT_BYTES", "MAX_JSON_BYTES", "MAX_NAME_BYTES", "MODEL_ID", "ROUTERS", "WARMUP_QUESTION",
    "AskRequest", "Catalog", "Job", "JobFailed", "JobQueue", "UploadError", "Uploads", "answer_pieces", "check_file_type",
    "clause_public", "clause_tree", "create_app", "document_summary", "safe_file_name",
    "sources_block", "split_chat",
]
