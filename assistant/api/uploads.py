"""Uploaded files: checked while they are read, kept in the uploads folder, then indexed.

The uploads folder lives inside the index folder (``<index_dir>/uploads``) unless
``ASSISTANT_UPLOAD_DIR`` says otherwise, so the files travel with the index they were added to.

Every upload is journalled: before any file is moved, ``.pending-<id>.json`` records the
target name and whether an older file of that name is kept as ``.backup-<id>``. A finished
upload removes its journal. After a crash, :meth:`Uploads.reconcile` (run when the server
starts) rolls unfinished uploads back (the client never got an answer for them), removes
leftover hidden files, and re-indexes the folder with pruning, so the folder and the index
agree again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import unicodedata
import uuid
import zipfile
from pathlib import Path
from typing import BinaryIO

from ..parsing import SUPPORTED_SUFFIXES, ParseError, decode_text
from ..service import Assistant
from ..types import FileReport

log = logging.getLogger(__name__)

#: Most file systems allow 255 bytes per name; the stem is cut to leave room for a suffix.
MAX_NAME_BYTES = 200

_UPLOAD_SUFFIXES = ", ".join(sorted(SUPPORTED_SUFFIXES))
_HIDDEN_PREFIXES = (".incoming-", ".backup-", ".pending-")


def safe_file_name(name: str | None) -> str:
    """A file name safe to store: no folders, no odd characters, the suffix kept.

    The name is at most :data:`MAX_NAME_BYTES` bytes in UTF-8 (a Chinese character takes
    three). Raises :class:`ParseError` when the suffix is not one the assistant reads.
    """
    base = Path(unicodedata.normalize("NFC", name or "").replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")  # not Path.suffix: ".md" alone is still a .md file
    suffix = f".{ext.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(f"unsupported file type {suffix or '(none)'}: upload {_UPLOAD_SUFFIXES}")
    stem = re.sub(r"[^\w\-（）()]+", "-", stem).strip(".-_")
    room = MAX_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:room].decode(errors="ignore").rstrip(".-_")
    return f"{stem or 'upload'}{suffix}"


def check_file_type(path: Path, suffix: str) -> None:
    """Check that the content is what the name says; :class:`ParseError` with the reason if not.

    The name alone proves nothing: a PDF starts with ``%PDF``, a .docx is a zip holding
    ``word/document.xml``, and a text file must decode as text.
    """
    with path.open("rb") as f:
        head = f.read(8)
    if not head:
        raise ParseError("the file is empty")
    if suffix == ".pdf":
        if not head.startswith(b"%PDF"):
            raise ParseError("not a PDF file: the content does not start with %PDF")
    elif suffix == ".docx":
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise ParseError(f"not a Word .docx file: the content is not a zip container ({exc})") from exc
        if "word/document.xml" not in names:
            raise ParseError("not a Word .docx file: the zip holds no word/document.xml")
    else:
        text = decode_text(path.read_bytes())  # raises for NUL bytes and undecodable data
        controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
        if controls > max(8, len(text) // 100):
            raise ParseError("the file looks binary, not text (many control characters)")


class UploadError(Exception):
    """An upload that is refused; ``status`` is the HTTP status and the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Uploads:
    """Uploaded files: checked while they are read, stored in one folder, then indexed.

    A file that cannot be used is removed again and leaves the index as it was; a file with
    the name of an earlier upload replaces it (and its clauses), or is put back on failure.
    """

    def __init__(self, assistant: Assistant, folder: Path | None = None) -> None:
        self.assistant = assistant
        self.folder = folder or assistant.settings.upload_folder
        self.max_bytes = assistant.settings.max_upload_bytes
        self._lock = threading.Lock()

    def add(self, file_name: str | None, stream: BinaryIO) -> tuple[str, FileReport]:
        """Store and index one upload; its stored name and the ingest report.

        Raises :class:`UploadError`: 413 over the size limit, 400 for an unsupported,
        mislabelled or unreadable file.
        """
        try:
            name = safe_file_name(file_name)
        except ParseError as exc:
            raise UploadError(400, str(exc)) from exc
        self.folder.mkdir(parents=True, exist_ok=True)
        suffix = Path(name).suffix
        # A hidden name: a folder ingest of the uploads skips it until it is complete.
        incoming = self.folder / f".incoming-{uuid.uuid4().hex}{suffix}"
        try:
            size = 0
            with incoming.open("wb") as out:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadError(413, f"the file is larger than the limit of "
                                               f"{self.max_bytes} bytes")
                    out.write(chunk)
            try:
                check_file_type(incoming, suffix)
            except ParseError as exc:
                raise UploadError(400, f"{name}: {exc}") from exc
            with self._lock:  # two uploads of one name must not swap files under each other
                return name, self._ingest(incoming, self.folder / name)
        finally:
            incoming.unlink(missing_ok=True)

    def _ingest(self, incoming: Path, target: Path) -> FileReport:
        key = uuid.uuid4().hex
        backup = target.with_name(f".backup-{key}{target.suffix}")
        journal = target.with_name(f".pending-{key}.json")
        had_old = target.exists()
        # The journal first: whatever happens after, a restart knows how to undo it.
        journal.write_text(json.dumps({"target": target.name, "backup": backup.name,
                                       "had_old": had_old}))
        if had_old:
            os.replace(target, backup)
        os.replace(incoming, target)
        ok = False
        try:
            result = self.assistant.ingest([target]).files[0]
            if result.status == "failed":
                raise UploadError(400, f"{target.name}: {result.error}")
            ok = True
            return result
        finally:
            if ok:
                backup.unlink(missing_ok=True)
            else:
                target.unlink(missing_ok=True)
                if had_old:
                    os.replace(backup, target)
                    try:  # its clauses back, if the new ones were committed before the failure
                        self.assistant.ingest([target])
                    except Exception as exc:  # the restart's reconcile will try again
                        log.error("could not re-index %s after a failed upload: %s", target.name, exc)
            journal.unlink(missing_ok=True)

    def reconcile(self) -> list[FileReport]:
        """Make the folder and the index agree again after a crash; returns the ingest reports.

        Unfinished uploads are rolled back (their older file restored, a new file removed),
        hidden leftovers are deleted, then the folder is indexed with pruning: every file in
        it is indexed as it is, and clauses of files no longer there are removed.
        """
        if not self.folder.is_dir():
            return []
        with self._lock:
            for journal in sorted(self.folder.glob(".pending-*.json")):
                self._roll_back(journal)
            for leftover in self.folder.iterdir():
                if leftover.name.startswith(_HIDDEN_PREFIXES) and leftover.is_file():
                    log.info("removing %s left by an interrupted upload", leftover.name)
                    leftover.unlink(missing_ok=True)
            report = self.assistant.ingest([self.folder], prune=True)
        changed = [f for f in report.files if f.status != "unchanged"]
        if changed:
            log.info("uploads reconciled with the index: %s",
                     ", ".join(f"{Path(f.path).name} {f.status}" for f in changed))
        return report.files

    def _roll_back(self, journal: Path) -> None:
        try:
            entry = json.loads(journal.read_text())
            target = self.folder / Path(entry["target"]).name
            backup = self.folder / Path(entry["backup"]).name
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable upload journal %s", journal.name)
            journal.unlink(missing_ok=True)
            return
        if entry.get("had_old"):
            if backup.exists():  # the new file replaced the old one: put the old one back
                os.replace(backup, target)
        else:
            target.unlink(missing_ok=True)
        log.info("rolled back the unfinished upload of %s", target.name)
        journal.unlink(missing_ok=True)
