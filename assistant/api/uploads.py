"""Uploaded files: checked while they are read, kept in the uploads folder, then indexed.

The uploads folder lives inside the index folder (``<index_dir>/uploads``) unless
``ASSISTANT_UPLOAD_DIR`` says otherwise, so the files travel with the index they were added to.

An upload is received first (read into a hidden ``.incoming-<key>`` file and checked, within
the request) and indexed after (by a background job, :mod:`assistant.api.jobs`, whose id is
the key). While it is indexed it is journalled: before any file is moved,
``.pending-<key>.json`` records the target name and whether an older file of that name is kept
as ``.backup-<key>``. A finished upload removes its journal. After a crash,
:meth:`Uploads.reconcile` (run when the server starts) rolls unfinished uploads back (their
job never reported done), removes leftover hidden files, and re-indexes the folder with
pruning, so the folder and the index agree again; the keys it rolled back are kept in
:attr:`Uploads.interrupted` so their jobs can report why they failed.
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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..reading.parsing import SUPPORTED_SUFFIXES, ParseError, decode_text
from ..service import Assistant, Progress
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


@dataclass
class Received:
    """An upload saved under a hidden name and checked, waiting to be indexed.

    ``key`` names its hidden files (and the job that indexes it), ``name`` is the name it
    will be stored under.
    """

    key: str
    name: str
    path: Path


class Uploads:
    """Uploaded files: checked while they are read, stored in one folder, then indexed.

    A file that cannot be used is removed again and leaves the index as it was; a file with
    the name of an earlier upload replaces it (and its clauses), or is put back on failure.
    Receiving (:meth:`receive`) and indexing (:meth:`index`) are separate steps, so a request
    can answer once the file is safely stored and leave the indexing to a background job.
    """

    def __init__(self, assistant: Assistant, folder: Path | None = None) -> None:
        self.assistant = assistant
        self.folder = folder or assistant.settings.upload_folder
        self.max_bytes = assistant.settings.max_upload_bytes
        self._lock = threading.Lock()
        #: (key, file name or None) of uploads a restart found unfinished and rolled back.
        self.interrupted: list[tuple[str, str | None]] = []

    def add(self, file_name: str | None, stream: BinaryIO,
            progress: Progress | None = None) -> tuple[str, FileReport]:
        """Store and index one upload now; its stored name and the ingest report.

        Raises :class:`UploadError` as :meth:`receive` and :meth:`index` do.
        """
        received = self.receive(file_name, stream)
        return received.name, self.index(received, progress)

    def receive(self, file_name: str | None, stream: BinaryIO) -> Received:
        """Read an upload into a hidden file of the folder and check it; nothing is indexed.

        Raises :class:`UploadError`: 413 over the size limit, 400 for an unsupported,
        mislabelled or unreadable file (nothing is kept).
        """
        try:
            name = safe_file_name(file_name)
        except ParseError as exc:
            raise UploadError(400, str(exc)) from exc
        self.folder.mkdir(parents=True, exist_ok=True)
        suffix = Path(name).suffix
        key = uuid.uuid4().hex
        # A hidden name: a folder ingest of the uploads skips it until it is complete.
        incoming = self.folder / f".incoming-{key}{suffix}"
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
        except BaseException:
            incoming.unlink(missing_ok=True)
            raise
        return Received(key=key, name=name, path=incoming)

    def index(self, received: Received, progress: Progress | None = None) -> FileReport:
        """Index a received upload under its name; the ingest report.

        Raises :class:`UploadError` (400) when the file cannot be indexed: it is removed
        again, and an earlier file of that name is put back.
        """
        try:
            with self._lock:  # two uploads of one name must not swap files under each other
                return self._ingest(received.path, self.folder / received.name, received.key,
                                    progress)
        finally:
            received.path.unlink(missing_ok=True)

    def discard(self, received: Received) -> None:
        """Forget a received upload that will not be indexed."""
        received.path.unlink(missing_ok=True)

    def _ingest(self, incoming: Path, target: Path, key: str,
                progress: Progress | None) -> FileReport:
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
            result = self.assistant.ingest([target], progress=progress).files[0]
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
                    if leftover.name.startswith(".incoming-"):  # received, never indexed
                        self.interrupted.append((_key_of(leftover.name), None))
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
        self.interrupted.append((_key_of(journal.name), target.name))
        journal.unlink(missing_ok=True)


def _key_of(hidden_name: str) -> str:
    """The key in a hidden file's name (``.incoming-<key>.txt``, ``.pending-<key>.json``)."""
    return hidden_name.split("-", 1)[-1].split(".", 1)[0]
