"""A saved government web page (.html, .htm) → text blocks and the metadata the page states.

Policy documents are published as web pages wrapped in site chrome: navigation, breadcrumbs,
search boxes, "发布日期 … 浏览次数", share and print links, related-article lists, footers.
Portals also put the document's own details in an info table (索引号, 发文机关, 成文日期,
标题, 发文字号) above the text.

The main content is the smallest element that holds nearly all of the page's running text
(text with Chinese sentence punctuation, outside links). Inside it, link lists and chrome lines
are dropped, hidden copies and repeated paragraphs are removed, tables become rows with their
header carried into each row (:mod:`assistant.reading.tables`), and ``<h1>``–``<h6>`` are kept as
headings. General-purpose extractors were measured on the field documents and lose text here
(see ``evals/compare_html.py``): trafilatura drops annex tables and keeps related-link lists,
readability picks the wrong node on some portals, jusText has no Chinese stop list.
"""

from __future__ import annotations

import html as html_module
import re
from dataclasses import dataclass, field

from ..language.lexicon import VALIDITY_LABELS
from .charsets import MIN_CHINESE_SHARE, chinese_share, decode_chinese
from .tables import PARAGRAPH, render_table

_DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
              "select", "option", "button", "input", "textarea", "nav", "footer", "head",
              "map", "audio", "video", "canvas"}
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dd", "dt",
               "blockquote", "pre", "center", "table", "tr", "td", "th", "tbody", "thead",
               "tfoot", "form", "header", "figure", "figcaption", "address", "h1", "h2", "h3",
               "h4", "h5", "h6", "hr", "caption", "body", "html", "fieldset", "aside"}
_CONTAINERS = {"div", "section", "article", "main", "td", "th", "tr", "tbody", "table", "form",
               "center", "body", "html", "font", "span", "ul", "ol", "dl", "blockquote", "header"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_RUNNING = re.compile(r"[。；！？，、]")
_CJK = re.compile(r"[\u4e00-\u9fff]")

#: Labels of a portal's info table, mapped to the metadata field they state.
INFO_LABELS = {
    "标题": "title", "名称": "title", "文件名称": "title",
    "发文机关": "issuer", "发文单位": "issuer", "制发机关": "issuer", "发布机构": "publisher",
    "发文字号": "doc_number", "文号": "doc_number", "文件编号": "doc_number",
    "成文日期": "date", "发文日期": "date", "印发日期": "date",
    "发布日期": "published", "索引号": "index_no", "主题分类": "topic", "主题词": "keywords",
    "公文种类": "genre", **VALIDITY_LABELS,
}
#: The labels searched for before the page is walked for them: every label but 文件状态, which
#: a portal's search form also writes and which its info list fills in by script.
_FIELD_LABELS = [label for label in VALIDITY_LABELS if label != "文件状态"]
#: A validity field a portal lists outside a table: its label, a colon, the tags that close the
#: label's element, and the value up to the next tag (``失效日期：</span> 2029年03月03日 </li>``).
_INFO_FIELD = re.compile(r"(" + "|".join(map(re.escape, _FIELD_LABELS)) + r")\s*[：:]\s*(?:</?[a-zA-Z][^<>]*>\s*)*"
                         r"([^<>]{1,30}?)\s*<")

# Site chrome that stands on a line of its own: page-info labels, font-size and share
# widgets, print/close links, visitor counters, QR hints, editor credits.
_CHROME_LINE = re.compile(
    r"^(?:【?\s*(?:发布|发表|更新|生成)(?:日期|时间)\s*[：:].{0,40}"
    r"|(?:信息)?来源\s*[：:].{0,30}|浏览(?:次数|量)\s*[：:].{0,20}|(?:访问|点击)(?:量|数|次数)\s*[：:].{0,20}"
    r"|【?\s*字(?:号|体)\s*[：:]?\s*[大中小\s]*】?|[A\+\s]*大\s*[A\+\s]*中\s*[A\+\s]*小"
    r"|分享到\s*[：:]?.{0,20}|【?\s*(?:打印|关闭|打印本页|关闭窗口|返回顶部|收藏|纠错)\s*】?(?:\s*【?\s*(?:打印|关闭|打印本页|关闭窗口|返回顶部|收藏|纠错)\s*】?)*"
    r"|扫一扫在手机(?:上)?打开当前页|听全文|(?:责任)?编辑\s*[：:].{0,20}|(?:文章|页面)?\s*作者\s*[：:].{0,20}"
    r"|(?:主办|承办|协办|技术支持|运维|网站标识码|版权所有|Copyright|©)\s*[：:©]?.{0,80}"
    r"|.{0,30}(?:ICP备|公网安备|版权所有).{0,80}|网站地图.{0,30}|无障碍(?:阅读|浏览)?|长者(?:助手|模式)"
    r"|相关(?:附件|新闻|链接|文章|阅读|文件|稿件|信息|解读)|扫码(?:进入|关注|下载|访问).{0,20}"
    r"|(?:本文|本稿)?转载(?:自|请注明|须注明).{0,40}|(?:【\s*)?(?:我要)?(?:转载|收藏|纠错)(?:\s*】)?"
    r"|您(?:当前)?(?:所在)?的?位置\s*[：:].{0,80}|当前位置\s*[：:].{0,80}|[-—\s]*次|-)$"
)
_INDENT_BREAK = re.compile(r"(?<=[。！？；：”」）)])[ \t\u00a0]*[\u3000]{2,}")


@dataclass
class WebPage:
    """What a page yields: its text blocks ``(text, kind)`` and the details it states."""

    blocks: list[tuple[str, str]] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)


def decode_html(data: bytes) -> str:
    """The page's text: BOM, then the declared charset when its reading looks like Chinese,
    else the Chinese encoding the bytes are in (:class:`EncodingError` when there is none)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    head = data[:4096].decode("ascii", errors="ignore")
    m = re.search(r"""charset\s*=\s*["']?\s*([\w\-]+)""", head, re.I)
    if m:
        codec = m.group(1).lower()
        if codec in ("gb2312", "gbk"):
            codec = "gb18030"  # the superset: pages labelled GB2312 often use GBK characters
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            text = None
        share = chinese_share(text) if text is not None else None
        if text is not None and (share is None or share >= MIN_CHINESE_SHARE):
            return text
    return decode_chinese(data).text


def read_html(data: bytes) -> WebPage:
    """Extract the main content and the stated details of a saved web page."""
    import lxml.html
    from lxml import etree

    text = decode_html(data)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        return WebPage()
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return WebPage()
    page = WebPage()
    _read_head(root, page.hints)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el)
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if el.tag in _DROP_TAGS or _hidden(el):
            _drop(el)
    for table in list(root.iter("table")):
        if _read_info_table(table, page.hints):
            _drop(table)
    # Only a page that writes a validity label has such fields (a string search, not a parse).
    if any(label in text for label in _FIELD_LABELS):
        _read_info_fields(text, page.hints)
    body = root.find("body") if root.find("body") is not None else root
    container = _main_container(body)
    walker = _Walker()
    walker.walk(container)
    page.blocks = _dedupe(_drop_chrome(walker.blocks))
    return page


def _read_head(root, hints: dict[str, str]) -> None:
    for meta in root.iter("meta"):
        name = (meta.get("name") or "").lower()
        content = (meta.get("content") or "").strip()
        if name == "articletitle" and content:
            hints.setdefault("page_title", content)
        elif name == "pubdate" and content:
            hints.setdefault("published", content)
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        hints.setdefault("html_title", re.sub(r"\s+", " ", title.text_content()).strip())
    for h1 in root.iter("h1"):
        text = re.sub(r"\s+", "", h1.text_content())
        if len(text) >= 4:
            hints.setdefault("h1", text)
            break


def _drop(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _hidden(el) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    # visibility:hidden on <body> only hides the page until its scripts have run.
    return el.tag not in ("html", "body") and (
        "display:none" in style or el.get("hidden") is not None)


def _read_info_table(table, hints: dict[str, str]) -> bool:
    """Read a portal's info table (label cell, value cell pairs); True when it was one."""
    if table.find(".//table") is not None:
        return False
    cells = [re.sub(r"\s+", "", c.text_content()) for c in table.iter("td", "th")]
    found: dict[str, str] = {}
    for i, cell in enumerate(cells):
        label, sep, value = cell.partition("：")
        if not sep:
            label, sep, value = cell.partition(":")
        key = INFO_LABELS.get(label)
        if key is None:
            continue
        if not value and i + 1 < len(cells) and cells[i + 1].rstrip("：:") not in INFO_LABELS:
            value = cells[i + 1]
        if value:
            found.setdefault(key, value)
            if key in VALIDITY_LABELS.values():
                found.setdefault(f"{key}_label", label)
    if len(found) < 3:
        return False
    for key, value in found.items():
        hints.setdefault(key, value)
    return True


def _read_info_fields(text: str, hints: dict[str, str]) -> None:
    """Validity fields a portal lists outside a table (``<li><span>实施日期：</span>…</li>``):
    a label and the text that follows it, across the tags between them. Read from the page's
    source: walking every element of a portal page for a few labels costs more than this
    reader's whole pass. A value that is no date or verdict is left alone by its readers."""
    for m in _INFO_FIELD.finditer(text):
        key = VALIDITY_LABELS[m.group(1)]
        value = re.sub(r"\s+", "", html_module.unescape(m.group(2)))
        if value and key not in hints:
            hints[key] = value
            hints[f"{key}_label"] = m.group(1)


def _weight(text: str | None) -> int:
    """Running-text characters: CJK characters of a phrase with sentence punctuation.

    Labels (主办单位：…), menus and slogans carry little or none of it; a document's body
    carries nearly all of the page's.
    """
    if not text or not _RUNNING.search(text):
        return 0
    cjk = len(_CJK.findall(text))
    return cjk if cjk >= 10 else 0


def _main_container(body):
    """The deepest element that holds nearly all of the page's running text."""
    weights: dict = {}

    def weigh(el) -> int:
        total = 0 if el.tag == "a" else _weight(el.text)
        for child in el:
            if isinstance(child.tag, str):
                total += weigh(child)
            total += _weight(child.tail)
        weights[el] = total
        return total

    total = weigh(body)
    if total == 0:
        return body
    node = body
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        best = max(children, key=lambda c: weights.get(c, 0), default=None)
        # A paragraph is content, not a container: the headings beside it belong too.
        if best is None or best.tag not in _CONTAINERS or weights.get(best, 0) < 0.85 * total:
            return node
        node = best


def _link_heavy(el) -> bool:
    """A block that is mostly links: navigation, related articles, department lists."""
    text = re.sub(r"\s+", "", el.text_content())
    if not text:
        return False
    linked = sum(len(re.sub(r"\s+", "", a.text_content())) for a in el.iter("a"))
    return linked / len(text) >= 0.6 and _weight(text) < 200


class _Walker:
    """Walks the main content in reading order and emits ``(text, kind)`` blocks."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []
        self.line: list[str] = []
        self.kind = PARAGRAPH

    def flush(self) -> None:
        text = "".join(self.line)
        self.line = []
        kind, self.kind = self.kind, PARAGRAPH
        for piece in re.split(r"\n", text):
            for part in _INDENT_BREAK.split(piece):
                part = re.sub(r"[ \t\u00a0\u3000\r]+", " ", part).strip()
                if part:
                    self.blocks.append((part, kind))

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "br":
            self.line.append("\n")
            return
        if tag in _BLOCK_TAGS and tag not in ("body", "html") and _link_heavy(el):
            return
        if tag == "table" and self._data_table(el):
            self.flush()
            self.blocks.extend(render_table(*_table_grid(el)))
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        if tag in _HEADINGS:
            self.kind = tag
        if el.text:
            self.line.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self.walk(child)
            if child.tail:
                self.line.append(child.tail)
        if block:
            self.flush()

    @staticmethod
    def _data_table(table) -> bool:
        if table.find(".//table") is not None:
            return False  # a layout table around the page's parts
        rows = [r for r in table.iter("tr")]
        wide = [r for r in rows if len([c for c in r if c.tag in ("td", "th")]) >= 2]
        return len(wide) >= 1 and len(wide) >= 0.5 * len(rows)


def _table_grid(table) -> tuple[list[list[str]], int | None]:
    """The table's cells as a grid, merged cells repeated, and its count of header rows."""
    grid: list[list[str]] = []
    pending: dict[int, tuple[int, str]] = {}  # column → (rows left, text) from rowspans
    header_rows = 0
    all_th = True
    for tr in table.iter("tr"):
        cells = [c for c in tr if c.tag in ("td", "th")]
        row: list[str] = []
        col = 0
        queue = list(cells)
        while queue or col in pending:
            if col in pending:
                left, text = pending[col]
                row.append(text)
                if left > 1:
                    pending[col] = (left - 1, text)
                else:
                    del pending[col]
                col += 1
                continue
            cell = queue.pop(0)
            text = _cell_text(cell)
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            for _ in range(span):
                row.append(text)
                if down > 1:
                    pending[col] = (down - 1, text)
                col += 1
        if all_th and cells and all(c.tag == "th" for c in cells):
            header_rows += 1
        else:
            all_th = False
        grid.append(row)
    return grid, header_rows or None


def _cell_text(cell) -> str:
    walker = _Walker()
    walker.walk(cell)
    walker.flush()
    return "".join(text for text, _ in walker.blocks)


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


def _drop_chrome(blocks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(t, k) for t, k in blocks if not (len(t) <= 90 and _CHROME_LINE.match(t.strip()))]


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _dedupe(blocks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop repeated paragraphs and a second copy of the text run together in one block."""
    seen: set[str] = set()
    sentences: set[str] = set()
    out = []
    for text, kind in blocks:
        key = _norm(text)
        if len(key) >= 30 and key in seen:
            continue
        parts = [_norm(s) for s in re.findall(r"[^。！？]+[。！？]", text)]
        parts = [p for p in parts if len(p) >= 10]
        if len(parts) >= 3 and sum(p in sentences for p in parts) >= 0.8 * len(parts):
            continue  # a copy of text already read (a hidden "listen" or print version)
        if text.endswith(("...", "…")) and any(k.startswith(_norm(text)) for k in seen):
            continue  # a teaser cut from a paragraph already read
        seen.add(key)
        sentences.update(parts)
        out.append((text, kind))
    return out
