"""The index view: what answering needs to know about the whole index, built once per version.

Every map the composer, the scoper, the front ends and the lexical search read (clauses by id,
by document and by section path, the children of a section, each document's header clause, the
titles and names documents are asked by, the places that serve as subjects, the BM25 matrix)
is built here once for an index version, never by scanning every clause per question.

A view is saved next to the index (a pickle under the store's ``view_dir``, named by the
version) and loaded, not rebuilt, by the next process that opens that version. When the
version moves, only the documents whose generation changed are read and tokenised again.
The folder is the index's own, as trusted as the Chroma files beside it.
"""

from __future__ import annotations

import bisect
import logging
import os
import pickle
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..language.lexicon import DOC_KINDS, SHORT_NAME_MAX, alternation, quoted
from ..language.places import aliases_of
from ..language.segment import bm25_tokens, jieba_loaded, place_names
from ..language.text import normalize
from ..reading.measures import document_measures
from ..types import Clause, Measure
from .lexical import LexicalIndex, Vocabulary
from .versions import Versions

log = logging.getLogger(__name__)

#: Bump when the view's layout or the index terms change, so old saved views are not loaded.
VIEW_FORMAT = "7"
#: Characters of a preamble read for the places it names: its opening statement of purpose.
PREAMBLE_CHARS = 600
#: Saved views kept per index (the newest ones; older versions are rarely opened again).
KEEP_SAVED = 3
_SHORT_NAME = quoted(SHORT_NAME_MAX)
#: Words that name a kind of document or its parts, not a document (若干措施, 实施方案).
_KIND_WORD = re.compile(alternation((*DOC_KINDS, "措施", "若干", "政策", "印发", "关于")))


@dataclass
class DocumentPart:
    """One document's share of the view: its clauses at one generation and what they yield."""

    gen: str
    clauses: list[Clause]
    terms: list[np.ndarray]
    places: set[str] = field(default_factory=set)
    #: The support measures its clauses grant, read once per generation (a change of the
    #: rules bumps VIEW_FORMAT: the measures are read again, nothing is embedded again).
    measures: list[Measure] = field(default_factory=list)


def _document_part(gen: str, clauses: list[Clause], vocabulary: Vocabulary) -> DocumentPart:
    places: set[str] = set()
    shared = next((c.meta for c in clauses if c.meta is not None), None)
    for c in clauses:
        if c.meta is not None and c.meta == shared:
            c.meta = shared  # one object per document: the view holds, saves and loads it once
        if c.meta and c.meta.region:
            places.add(c.meta.region)
        for heading in c.section_path:
            places.update(place_names(heading))
    return DocumentPart(gen=gen, clauses=clauses, places=places,
                        terms=[vocabulary.encode(bm25_tokens(c.embed_text())) for c in clauses],
                        measures=document_measures(clauses))


class IndexView:
    """The clauses of one index version with the maps built from them (read-only once built)."""

    def __init__(self, version: str, parts: dict[str, DocumentPart], vocabulary: Vocabulary) -> None:
        self.version = version
        self.parts = parts
        self.vocabulary = vocabulary
        self.generations = {d: p.gen for d, p in parts.items()}
        self.clauses: list[Clause] = [c for d in sorted(parts) for c in parts[d].clauses]
        self.by_id = {c.chunk_id: c for c in self.clauses}
        #: Every support measure of the index, document by document in reading order.
        self.measures: list[Measure] = [m for d in sorted(parts) for m in parts[d].measures]
        self.by_doc: dict[str, list[Clause]] = {d: parts[d].clauses for d in sorted(parts)
                                                if parts[d].clauses}
        self.by_path: dict[tuple[str, tuple[str, ...]], Clause] = {}
        self.headers: dict[str, Clause] = {}
        self._children: dict[tuple[str, tuple[str, ...]], list[Clause]] = {}
        self._child_heads: dict[tuple[str, tuple[str, ...]], set[str]] = {}
        #: normalised section path → positions of the clauses under it.
        self.headings: dict[str, list[int]] = {}
        self._heading_text: tuple[str, list[int], list[str]] | None = None
        for pos, c in enumerate(self.clauses):
            path = tuple(c.section_path)
            self.by_path[(c.doc_id, path)] = c
            if c.kind == "header":
                self.headers[c.doc_id] = c
            if path:
                parent = (c.doc_id, path[:-1])
                heads = self._child_heads.setdefault(parent, set())
                if path[-1] not in heads:  # a long clause in parts is one child
                    heads.add(path[-1])
                    self._children.setdefault(parent, []).append(c)
            self.headings.setdefault(normalize(" ".join(path)), []).append(pos)
        #: Each document's versions and status on a date (sets its validity's superseded_by).
        self.versions = Versions({d: cs[0].meta for d, cs in self.by_doc.items() if cs[0].meta is not None})
        self.identities = _identities(self.by_doc)
        self.short_names = _short_names(self.by_doc)
        self.title_words = _title_words(self.by_doc)
        self.place_aliases = aliases_of({p for part in parts.values() for p in part.places})
        self._doc_pos = np.zeros(len(self.clauses), dtype=np.int32)
        self._doc_index = {d: i for i, d in enumerate(sorted(parts))}
        self._levels = np.empty(len(self.clauses), dtype=object)
        for pos, c in enumerate(self.clauses):
            self._doc_pos[pos] = self._doc_index[c.doc_id]
            self._levels[pos] = (c.meta.level or "") if c.meta else ""
        self.lexical = LexicalIndex([t for d in sorted(parts) for t in parts[d].terms], vocabulary)
        #: term → idf, as the composer weighs a question's terms.
        self.idf = self.lexical.term_weights()

    # --- look-ups --------------------------------------------------------------------------

    def children_of(self, parent: Clause) -> list[Clause]:
        """The clauses one level below ``parent`` in its document, in order."""
        return self._children.get((parent.doc_id, tuple(parent.section_path)), [])

    def under_headings(self, stems: list[str]) -> list[Clause]:
        """Clauses whose section path names any of ``stems`` (normalised), in index order.

        The look-up runs over the distinct section paths, not over the clauses.
        """
        if self._heading_text is None:
            # One string of every distinct path, searched by str.find: a Python loop over the
            # paths costs milliseconds per question on a library of thousands of documents.
            # Built aside and published in one assignment: threads share the view.
            keys = list(self.headings)
            starts = [0]
            for key in keys[:-1]:
                starts.append(starts[-1] + len(key) + 1)
            self._heading_text = ("\n".join(keys), starts, keys)
        text, starts, keys = self._heading_text
        hit: set[int] = set()
        for stem in stems:
            if not stem or "\n" in stem:
                continue
            at = text.find(stem)
            while at != -1:
                row = bisect.bisect_right(starts, at) - 1
                hit.add(row)
                # Go on after this path: it is counted once, whatever else it contains.
                nxt = starts[row + 1] if row + 1 < len(starts) else len(text)
                at = text.find(stem, nxt)
        found = [i for row in hit for i in self.headings[keys[row]]]
        return [self.clauses[i] for i in sorted(found)]

    def mask(self, filters) -> np.ndarray | None:
        """Which clauses pass ``filters`` (None: all of them)."""
        if filters is None or not (filters.doc_ids or filters.level or filters.status):
            return None
        keep = np.ones(len(self.clauses), dtype=bool)
        if filters.doc_ids:
            wanted = [self._doc_index[d] for d in filters.doc_ids if d in self._doc_index]
            keep &= np.isin(self._doc_pos, np.asarray(wanted, dtype=np.int32))
        if filters.level:
            keep &= self._levels == filters.level
        if filters.status:
            # The status on the filter's date, from the documents' validity, not a stored field.
            passing = self.versions.with_status(filters.status, filters.on())
            wanted = [self._doc_index[d] for d in passing]
            keep &= np.isin(self._doc_pos, np.asarray(wanted, dtype=np.int32))
        return keep

    def rows(self, filters) -> np.ndarray:
        """Positions (in ``clauses``) of the clauses that pass ``filters``, in index order."""
        keep = self.mask(filters)
        return np.arange(len(self.clauses)) if keep is None else np.flatnonzero(keep)

    def matching(self, filters) -> list[Clause]:
        """The clauses that pass ``filters``, in index order."""
        return [self.clauses[i] for i in self.rows(filters)]

    def search(self, terms: list[str], n: int, filters=None) -> list[tuple[Clause, float]]:
        """The ``n`` best clauses for a query's terms with their BM25 scores (within filters)."""
        return [(self.clauses[i], s) for i, s in self.lexical.top(terms, n, self.mask(filters))]

    # --- building and saving ---------------------------------------------------------------

    @classmethod
    def build(cls, clauses: list[Clause], version: str = "",
              generations: dict[str, str] | None = None) -> IndexView:
        """A view of ``clauses`` (tokenised here)."""
        vocabulary = Vocabulary()
        grouped: dict[str, list[Clause]] = {}
        for c in sorted(clauses, key=lambda c: (c.doc_id, c.ordinal)):
            grouped.setdefault(c.doc_id, []).append(c)
        gens = generations or {}
        parts = {d: _document_part(gens.get(d, ""), cs, vocabulary) for d, cs in grouped.items()}
        return cls(version, parts, vocabulary)

    @classmethod
    def from_store(cls, store, version: str, previous: IndexView | None = None) -> IndexView:
        """The view of the store at ``version``: the documents unchanged since ``previous``
        are kept as they are, the others are read and tokenised."""
        started = time.perf_counter()
        gens = store.generations()
        vocabulary = Vocabulary()
        if previous is not None:  # a copy: the previous view may still be answering
            vocabulary.ids = dict(previous.vocabulary.ids)
        kept = {d: p for d, p in (previous.parts.items() if previous else ())
                if gens.get(d) == p.gen}
        changed = {d: g for d, g in gens.items() if d not in kept}
        grouped: dict[str, list[Clause]] = {d: [] for d in changed}
        for c in store.clauses_of(changed.values()):
            if c.doc_id in grouped:
                grouped[c.doc_id].append(c)
        parts = dict(kept)
        for d, cs in grouped.items():
            parts[d] = _document_part(changed[d], cs, vocabulary)
        view = cls(version, parts, vocabulary)
        log.info("index view %s: %d documents (%d read), %d clauses, %.2f s", version,
                 len(parts), len(changed), len(view.clauses), time.perf_counter() - started)
        return view


class SavedViews:
    """Index views saved in a folder by version."""

    def __init__(self, folder: Path | str | None) -> None:
        self.folder = Path(folder) if folder else None

    def _path(self, version: str) -> Path | None:
        if self.folder is None or not version:
            return None
        return self.folder / f"view-{VIEW_FORMAT}-{re.sub(r'[^0-9A-Za-z_-]', '_', version)}.pkl"

    def load(self, version: str) -> IndexView | None:
        """The saved view of ``version``, or None (not saved, or unreadable)."""
        path = self._path(version)
        if path is None or not path.exists():
            return None
        try:
            with path.open("rb") as f:
                view = pickle.load(f)
        except Exception as exc:  # a torn or foreign file: rebuild rather than fail
            log.warning("ignoring the saved index view %s (%s)", path, exc)
            return None
        return view if isinstance(view, IndexView) and view.version == version else None

    def latest(self) -> IndexView | None:
        """The most recently saved view, of whatever version (a start for an update)."""
        if self.folder is None or not self.folder.is_dir():
            return None
        saved = sorted(self.folder.glob(f"view-{VIEW_FORMAT}-*.pkl"), key=_mtime, reverse=True)
        for path in saved:
            view = self.load(path.stem.split("-", 2)[2])
            if view is not None:
                return view
        return None

    def save(self, view: IndexView) -> None:
        """Save ``view`` (atomically: written aside, then renamed) and drop older ones."""
        path = self._path(view.version)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".view-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(view, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.chmod(tmp, 0o644)  # readable like the index files beside it, not only by its writer
            os.replace(tmp, path)
            saved = sorted(path.parent.glob("view-*.pkl"), key=_mtime)
            for old in saved[:-KEEP_SAVED]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # a read-only folder: the view still serves this process
            log.warning("cannot save the index view in %s (%s)", path.parent, exc)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another process
        return 0.0


def _identities(by_doc: dict[str, list[Clause]]) -> dict[str, tuple[str, str, str]]:
    """doc_id → (normalised title, normalised title + region + issuer, title as written)."""
    ids = {}
    for doc_id, clauses in by_doc.items():
        c = clauses[0]
        meta = c.meta
        extra = f"{meta.region or ''}{meta.issuer or ''}{meta.title or ''}" if meta else ""
        # The places the preamble names as its subject (“支持松江区高水平建设…”) are the
        # document's places too, though its title names none.
        preamble = next((x for x in clauses if x.kind == "preamble"), None)
        if preamble is not None:
            extra += "".join(place_names(preamble.text[:PREAMBLE_CHARS]))
        ids[doc_id] = (normalize(c.doc_title), normalize(c.doc_title + extra), c.doc_title.strip("《》"))
    return ids


#: A title word names its document when no other title has it (one others share names a
#: genre: 未来产业 in every title of a library on future industries).
TITLE_WORD_DOCS = 1


def _title_words(by_doc: dict[str, list[Clause]]) -> dict[str, list[str]]:
    """The words that set a document's title apart (北斗, 商业航天, 专家库) → the documents:
    words of two characters or more, not places, that few titles share."""
    docs_of: dict[str, set[str]] = {}
    for doc_id, clauses in by_doc.items():
        title = clauses[0].doc_title
        named = set(place_names(title))
        for word in jieba_loaded().lcut_for_search(title):
            if len(word) >= 2 and word not in named and not any(word in p for p in named) \
                    and not place_names(word) \
                    and not _KIND_WORD.search(word) and re.search(r"[\u4e00-\u9fffA-Za-z0-9]", word):
                docs_of.setdefault(normalize(word).lower(), set()).add(doc_id)
    return {w: sorted(d) for w, d in docs_of.items() if len(d) <= TITLE_WORD_DOCS}


def _short_names(by_doc: dict[str, list[Clause]]) -> dict[str, list[str]]:
    """Names a document's title quotes for itself (“星火计划”) → the documents."""
    names: dict[str, list[str]] = {}
    for doc_id, clauses in by_doc.items():
        for name in _SHORT_NAME.findall(clauses[0].doc_title):
            names.setdefault(normalize(name), []).append(doc_id)
    return names
