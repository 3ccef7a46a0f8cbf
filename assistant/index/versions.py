"""Versions of one document across the index: drafts and the final of a plan, the versions of a
revised measure, and the documents a later one repeals by name.

Documents that share a core title — the title without its covering notice (关于印发《…》的通知),
its issuer, and its standing (（征求意见稿）, （试行）) — form a chain. Of a chain's final
documents, the latest dated one is the current version and every earlier dated one is replaced
by it from the day it applies. A document that says ``原《…》（文号）同时废止`` replaces the ones
it names: by their 文号 when it gives one, else by their core title when they are older.
Computed over the whole index by the index view; a pure function of the documents' metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..language.lexicon import DRAFT_STAGES, TRIAL_MARKERS, alternation
from ..language.text import normalize
from ..reading.standing import public
from ..types import DocumentMeta

#: A core title shorter than this names no document in particular (通知, 实施方案).
MIN_CORE_CHARS = 6
_STANDING = re.compile(
    r"[（(][^（）()]{0,10}" + alternation((*DRAFT_STAGES, "草案", *TRIAL_MARKERS, "修订", "修正", "送审"))
    + r"[^（）()]{0,6}[）)]|" + alternation(("起草说明",)) + "$")
_NOTICE = re.compile(r"^.*?关于(?:印发|重新印发|重新发布|发布|转发|公布)《?(.+?)》?(?:的通知|的决定|的公告)?$")
_ISSUER = re.compile(r"^.{2,40}?关于(?=.{4,})")
_NUMBER = re.compile(r"[（(]([^（）()]*\d{4}[^（）()]*号)[）)]$")


@dataclass
class Links:
    """A document's place among its versions."""

    chain: str = ""
    supersedes: list[str] = field(default_factory=list)
    superseded_by: list[str] = field(default_factory=list)
    #: The date from which the replacement applies ("" when it states none); None: not replaced.
    superseded_on: str | None = None


def core_title(title: str) -> str:
    """A title as its versions share it: no covering notice, issuer, standing or 文号, normalised."""
    t = _NUMBER.sub("", title.strip()).strip("《》 ")
    t = re.sub(r"^附件\s*[0-9０-９一二三四五六七八九十]*\s*", "", t)
    m = _NOTICE.match(t)
    if m:
        t = m.group(1)
    t = _ISSUER.sub("", t) if not t.startswith("关于") else t[2:]
    t = t.replace("〈", "").replace("〉", "")
    while True:
        stripped = _STANDING.sub("", t).strip()
        if stripped == t:
            break
        t = stripped
    for marker in TRIAL_MARKERS:
        t = t.replace(f"{marker}办法", "办法").replace(f"{marker}规定", "规定")
    return normalize(t)


def _date(meta: DocumentMeta) -> str | None:
    v = meta.validity
    return (v.effective_from or v.issued) if v else meta.date


def _applies_from(meta: DocumentMeta) -> str:
    v = meta.validity
    return (v.effective_from or v.issued or meta.date or "") if v else (meta.date or "")


def _is_draft(meta: DocumentMeta) -> bool:
    return bool(meta.validity.draft) if meta.validity else meta.status == "draft"


def link_versions(metas: dict[str, DocumentMeta]) -> dict[str, Links]:
    """doc_id → its chain, the documents it replaces and those that replace it."""
    links = {d: Links(chain=core_title(m.title)) for d, m in metas.items()}
    chains: dict[str, list[str]] = {}
    for d, link in links.items():
        if len(link.chain) >= MIN_CORE_CHARS:
            chains.setdefault(link.chain, []).append(d)
    for members in chains.values():
        finals = [d for d in members if not _is_draft(metas[d]) and _date(metas[d])]
        for group in _by_region(finals, metas):
            if len(group) < 2:
                continue
            group.sort(key=lambda d: (_date(metas[d]), d))
            current = group[-1]
            for older in group[:-1]:
                if _date(metas[older]) < _date(metas[current]):
                    _replace(links, metas, older, current)
    for d, meta in metas.items():
        for name in (meta.validity.supersedes if meta.validity else []):
            for old in _named(name, d, metas, links):
                _replace(links, metas, old, d)
    return links


def _by_region(docs: list[str], metas: dict[str, DocumentMeta]) -> list[list[str]]:
    """Documents of one title split by their region: 北京's and 上海's 条例 are not versions."""
    groups: dict[str, list[str]] = {}
    unplaced = []
    for d in docs:
        if metas[d].region:
            groups.setdefault(metas[d].region, []).append(d)
        else:
            unplaced.append(d)
    if len(groups) <= 1:
        return [[*next(iter(groups.values()), []), *unplaced]]
    return list(groups.values())


def _named(name: str, by: str, metas: dict[str, DocumentMeta], links: dict[str, Links]) -> list[str]:
    """The indexed documents a repeal names: by 文号, else by core title when older."""
    number = _NUMBER.search(name)
    core = core_title(name)
    if number:
        wanted = normalize(number.group(1))
        hits = [d for d, m in metas.items() if d != by and m.doc_number and normalize(m.doc_number) == wanted]
        if hits:
            return hits
    mine = _date(metas[by]) or "9999"
    return [d for d, m in metas.items() if d != by and len(core) >= MIN_CORE_CHARS and links[d].chain == core
            and not (number and m.doc_number) and (_date(m) or "") < mine]


def _replace(links: dict[str, Links], metas: dict[str, DocumentMeta], old: str, new: str) -> None:
    if new in links[old].superseded_by or old == new:
        return
    links[old].superseded_by.append(new)
    links[new].supersedes.append(old)
    since = _applies_from(metas[new])
    previous = links[old].superseded_on
    links[old].superseded_on = since if previous is None else min(previous, since)


class Versions:
    """The versions of every document of an index view, and their statuses on a date.

    Built with the view (and saved with it); sets each document's ``superseded_by`` and
    ``superseded_on`` on its validity, so that a clause's ``meta`` tells its own status.
    """

    def __init__(self, metas: dict[str, DocumentMeta]) -> None:
        self.metas = metas
        self.links = link_versions(metas)
        for doc_id, link in self.links.items():
            v = metas[doc_id].validity
            if v is not None:
                v.superseded_by, v.superseded_on = list(link.superseded_by), link.superseded_on
        self._statuses: dict[str, dict[str, str]] = {}

    def status(self, doc_id: str, as_of: str) -> str:
        """A document's status on ``as_of`` (``unknown`` for an unknown id or no validity)."""
        return self.statuses(as_of).get(doc_id, "unknown")

    def statuses(self, as_of: str) -> dict[str, str]:
        """doc_id → status on ``as_of`` (the last few dates asked are kept)."""
        known = self._statuses.get(as_of)
        if known is None:
            known = {d: m.status_on(as_of) for d, m in self.metas.items()}
            # Replaced whole, not changed in place: threads answering share the view.
            kept = list(self._statuses.items())[-7:]
            self._statuses = dict([*kept, (as_of, known)])
        return known

    def with_status(self, status: str, as_of: str) -> list[str]:
        """The documents whose status on ``as_of`` is ``status``; ``final`` (documents issued
        in final form, whatever their term) as the status filter has always read it."""
        if status == "final":
            return sorted(d for d, m in self.metas.items() if m.status == "final")
        return sorted(d for d, s in self.statuses(as_of).items() if s == status)

    def chain(self, doc_id: str) -> str:
        """The core title a document shares with its versions ("" when it has none)."""
        link = self.links.get(doc_id)
        return link.chain if link else ""

    def named(self, doc_ids: list[str]) -> list[dict]:
        """``[{doc_id, title, doc_number, date}]`` of indexed documents (versions share a title:
        their 文号 and date tell them apart)."""
        return [{"doc_id": d, "title": self.metas[d].title, "doc_number": self.metas[d].doc_number,
                 "date": self.metas[d].date} for d in doc_ids if d in self.metas]

    def supersedes(self, doc_id: str) -> list[dict]:
        """What a document replaces: the indexed versions, then the names it repeals that are
        not indexed (``doc_id`` null)."""
        link = self.links.get(doc_id)
        meta = self.metas.get(doc_id)
        if link is None or meta is None:
            return []
        out = self.named(link.supersedes)
        indexed = {core_title(self.metas[d].title) for d in link.supersedes}
        numbers = {normalize(self.metas[d].doc_number or "") for d in link.supersedes}
        for name in (meta.validity.supersedes if meta.validity else []):
            number = _NUMBER.search(name)
            if core_title(name) in indexed or (number and normalize(number.group(1)) in numbers):
                continue
            out.append({"doc_id": None, "title": name, "doc_number": number.group(1) if number else None,
                        "date": None})
        return out

    def public(self, doc_id: str, as_of: str) -> dict:
        """A document's validity on ``as_of`` in the JSON shape every front end gives."""
        meta = self.metas.get(doc_id)
        v = meta.validity if meta is not None else None
        return public(v, as_of, supersedes=self.supersedes(doc_id),
                      superseded_by=self.named(v.superseded_by if v else []))
