"""A document's own details — title, issuer, 文号, date, status, level, region — from its text.

Details come from where documents state them: a portal's info table or a Markdown header
(passed in as ``hints``), the title line (``X关于…的意见``), a covering notice, the signature and
date at the end, a State Council order (``中华人民共和国国务院令 第706号``), a people's congress
adoption line (``2017年12月27日浙江省第十二届人民代表大会常务委员会第四十六次会议通过``) and the
``印发`` line. A document whose status no line states is ``unknown``, never assumed final.
"""

from __future__ import annotations

import re
from collections import Counter

from ..language.lexicon import (
    BODY_ENDINGS,
    DRAFT_STAGES,
    DRAFT_WORDS,
    OWN_PROVINCE_WORDS,
    PROVINCES,
    TITLE_ENDINGS,
    UNIT_ENDINGS,
    alternation,
)
from ..language.text import CN_DIGITS, cn_to_int, nfkc
from ..types import DocumentMeta
from .numbering import match_marker

DATE_RE = re.compile(r"([0-9０-９]{4})\s*年\s*([0-9０-９]{1,2})\s*月\s*([0-9０-９]{1,2})\s*日")
_CN_DATE_RE = re.compile(r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
DOC_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fff]{1,10}[〔\[［【(（]\s*[0-9０-９]{4}\s*[〕\]］】)）]\s*(?:第\s*)?[0-9０-９]{1,4}\s*号"
)
ORDER_RE = re.compile(r"(?:中华人民共和国)?([\u4e00-\u9fff]{1,16}?)令\s*[（(]?\s*第\s*([0-9０-９一二三四五六七八九十百零〇]+)\s*号\s*[）)]?")
ADOPTION_RE = re.compile(
    r"([0-9０-９]{4}\s*年\s*[0-9０-９]{1,2}\s*月\s*[0-9０-９]{1,2}\s*日)\s*"
    r"([\u4e00-\u9fff]{2,12}?)第[\u4e00-\u9fff]{1,5}届人民代表大会(常务委员会)?第[\u4e00-\u9fff]{1,6}次会议"
    r"(?:审议)?(?:通过|批准|修订|修正)"
)
STATUS_RE = re.compile(r"^[（(][^（()）]{0,8}" + alternation((*DRAFT_STAGES, "草案", "试行")) + r"[^（()）]{0,4}[）)]$")
NOTICE_RE = re.compile(r"关于印发《(.+?)》的通知$")
TITLE_END = re.compile(alternation(TITLE_ENDINGS) + r"(?:[（(][^（()）]{0,20}[）)])*$")
_ISSUER_END = re.compile(
    r"(人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|常务委员会|[厅局委院部署办会])$"
)
_DRAFT_RE = re.compile(alternation(DRAFT_WORDS))
#: One or more bodies' names (四川省发展和改革委员会 四川省能源局), as a portal's 发布机构 gives them.
_BODY_NAME = re.compile(r"(?:[\u4e00-\u9fff（）()]{2,30}?" + alternation(BODY_ENDINGS) + r"[\s、，,]*)+")
#: Full-width digits as printed in some 文号 (成府发〔２０２４〕２号) → ASCII, for display.
_ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
#: Who drafted a document, where a draft says so (起草单位：省经信厅; 由市经信局牵头起草).
_DRAFTER_RE = re.compile(
    r"起草(?:单位|部门)[：:]\s*(?P<unit>[\u4e00-\u9fff]{2,20})"
    r"|由(?P<by>[\u4e00-\u9fff]{2,20}?)(?:牵头|负责|组织)(?:[\u4e00-\u9fff、]{0,20}?)起草"
)


def iso_date(m: re.Match[str]) -> str:
    """A matched ``YYYY年M月D日`` (Arabic or Chinese numerals) as ``YYYY-MM-DD``."""
    y, mo, d = m.groups()
    if y[0] in CN_DIGITS:
        # A year is written digit by digit (二〇二四); a month and a day as numbers (十二).
        year = int("".join(str(CN_DIGITS[c]) for c in y))
        return f"{year:04d}-{cn_to_int(mo):02d}-{cn_to_int(d):02d}"
    return f"{int(nfkc(y)):04d}-{int(nfkc(mo)):02d}-{int(nfkc(d)):02d}"


def find_date(text: str, full: bool = False) -> str | None:
    """The first date in ``text`` (the whole text when ``full``) as ``YYYY-MM-DD``."""
    for pattern in (DATE_RE, _CN_DATE_RE):
        m = pattern.fullmatch(text.strip()) if full else pattern.search(text)
        if m:
            return iso_date(m)
    return None


def _hint_date(value: str | None) -> str | None:
    if not value:
        return None
    date = find_date(value)
    if date:
        return date
    m = re.match(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", value.strip())
    return f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}" if m else None


#: A document printed as a piece of a compilation: the compilation's running number before
#: its title and the piece's date after it (7.××市人民政府办公厅关于印发……的通知（2023年5月6日）).
_COMPILATION_PIECE = re.compile(r"^\d{1,3}\s*[.．、]\s*(?P<title>.+?)\s*"
                                r"(?:[（(](?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)[)）])?$")


def _piece_of_compilation(paragraphs: list[str], hints: dict[str, str]) -> list[str]:
    """``paragraphs`` with a compilation piece's title line read as its title alone; the
    date it carries becomes the date hint (unless the file states one)."""
    for i, p in enumerate(paragraphs[:3]):
        m = _COMPILATION_PIECE.match(p.strip())
        if m and is_title(m.group("title")):
            if m.group("date"):
                hints.setdefault("date", m.group("date"))
            return paragraphs[:i] + [m.group("title")] + paragraphs[i + 1:]
    return paragraphs


def is_title(p: str) -> bool:
    """A line that reads as a document title (ends in 意见, 方案, 条例, …), not a heading."""
    return (bool(TITLE_END.search(p)) and len(p) <= 120 and not re.search(r"[。；｜]", p)
            and match_marker(p) is None)


def extract_meta(paragraphs: list[str], doc_id: str, source: str = "", file_hash: str = "",
                 hints: dict[str, str] | None = None) -> DocumentMeta:
    """Read title, issuer, 文号, date, status, level and region from a document.

    ``hints`` are details the file states outside its text (a portal's info table, a Markdown
    title or front matter); they win over what is read from the text.
    """
    hints = dict(hints or {})
    paragraphs = _piece_of_compilation(paragraphs, hints)
    head = paragraphs[:12]
    # The title as the file states it, else the text's own title line, else what the page
    # calls itself (a news or guide page often has no title line in its text).
    # A short heading that merely ends like a title (办理指引) yields to what the page says.
    min_len = 8 if hints.get("page_title") or hints.get("h1") else 1
    title = (hints.get("title") or next((p for p in head if is_title(p) and len(p) >= min_len), None)
             or hints.get("page_title") or hints.get("h1") or _site_title(hints.get("html_title"))
             or next((p for p in head if p and not _is_date_or_number(p)), doc_id))
    notice = NOTICE_RE.search(title) if not hints.get("title") else None
    issuer = None
    m = re.match(r"^(.{2,30}?)关于", title)
    if m and _ISSUER_END.search(m.group(1)):
        issuer = m.group(1).strip()
    if notice:
        title = notice.group(1)

    doc_number = hints.get("doc_number") or _doc_number(paragraphs)
    if doc_number:
        # Shown as 成府发〔2024〕2号 whatever digits it was printed with; a search for either form
        # still finds it (matching folds full-width digits).
        doc_number = doc_number.translate(_ASCII_DIGITS)
    order = _order(paragraphs[:15])
    adoption = _adoption(paragraphs[:15])
    date = _hint_date(hints.get("date"))
    if order and not doc_number:
        doc_number = order[0]
        issuer = issuer or order[1]
        # An order is dated on its own line under the signature (总理 李克强 / 2018年12月18日),
        # not by the later printing line at the end.
        date = date or order[2] or next(
            (d for d in (find_date(p, full=True) for p in paragraphs[:8]) if d), None)
    if adoption:
        date = date or adoption[0]
        issuer = issuer or adoption[1]
    date = date or _closing_date(paragraphs)
    signed = _signature(paragraphs)
    issuer = hints.get("issuer") or issuer or signed
    if date is None:
        for p in head + paragraphs[:20]:
            date = find_date(p, full=True)
            if date:
                break
    if issuer is None and title.endswith("起草说明"):
        m = re.search(r"[，。：,]([^，。：,《]{2,15}?)起草了", "，" + "".join(paragraphs[:6]))
        if m:
            issuer = m.group(1)
            place = place_of(title)
            if place and issuer[0] in "省市县区" and place.endswith(issuer[0]):
                issuer = place + issuer[1:]
    if issuer is None:
        issuer = _drafter(paragraphs[:40])
    if issuer is None and _BODY_NAME.fullmatch(hints.get("publisher") or ""):
        # A portal's info table names who publishes the page; with no issuer in the text
        # itself (no signature, no adoption line), that publishing agency is the issuer.
        issuer = hints["publisher"]

    head_text = "".join(head) + title
    if _DRAFT_RE.search(head_text):
        status = "draft"
    elif doc_number or adoption or order or signed or hints.get("date") or _issued(paragraphs):
        status = "final"
    else:
        status = "unknown"
    # A page that names no place in its title or issuer is placed by who publishes it.
    publisher = hints.get("publisher") or _site_name(hints.get("html_title"))
    region = place_of(title) or place_of(issuer or "") or place_of(publisher or "")
    # Else the province the text is about; it tells the level only when the text speaks as
    # that province (我省), not when a city's page merely names its province.
    about = None if region else _main_province(paragraphs)
    level = _level(region or (about if _speaks_as_province(paragraphs) else None), title, issuer,
                   paragraphs)
    region = region or about
    return DocumentMeta(
        doc_id=doc_id,
        title=_strip_title(title),
        issuer=issuer,
        doc_number=doc_number,
        date=date,
        status=status,
        level=level,
        region=region,
        source=source,
        file_hash=file_hash,
    )


def _is_date_or_number(p: str) -> bool:
    s = p.strip()
    return bool(DATE_RE.fullmatch(s) or DOC_NUMBER_RE.fullmatch(s) or STATUS_RE.match(s))


def _doc_number(paragraphs: list[str]) -> str | None:
    for p in paragraphs[:20] + paragraphs[-10:]:
        m = DOC_NUMBER_RE.fullmatch(p.strip()) or (DOC_NUMBER_RE.search(p) if len(p) < 40 else None)
        if m:
            return re.sub(r"\s+", "", m.group(0))
    return None


def _order(head: list[str]) -> tuple[str, str, str | None] | None:
    """``中华人民共和国国务院令 第706号`` → (``国务院令第706号``, ``国务院``, its date if stated).

    Also the line regulations carry under their title:
    ``（2021年7月27日中华人民共和国国务院令第746号公布）``.
    """
    lines = [re.sub(r"\s+", "", p) for p in head]
    # The order's name and number are often set on two lines (国务院令 / 第706号).
    for s in lines + [a + b for a, b in zip(lines, lines[1:], strict=False) if len(a + b) <= 40]:
        m = ORDER_RE.fullmatch(s) or (ORDER_RE.search(s) if len(s) <= 60 else None)
        if m and (m.start() == 0 or s.startswith(("（", "(")) or find_date(s[: m.start()])):
            issuer = re.sub(r"^.*?[年月日]|^中华人民共和国", "", m.group(1))
            issuer = re.sub(r"^中华人民共和国", "", issuer)
            return f"{issuer}令第{nfkc(m.group(2))}号", issuer, find_date(s)
    return None


# How a site's own name ends in a page's <title>: …网站, …门户网, …政府网.
_SITE_NAME_END = r"(?:网站|门户网|政府网)$"


def _site_name(title: str | None) -> str | None:
    """The site's own name in a page's ``<title>`` (``…-广州市人力资源和社会保障局网站``)."""
    if not title:
        return None
    parts = re.split(r"\s*[-|_—]\s*", title)
    return next((p for p in reversed(parts) if re.search(_SITE_NAME_END, p)), None)


def _site_title(title: str | None) -> str | None:
    """A page's ``<title>`` without the site's name (``X - 广州市人民政府门户网站``)."""
    if not title:
        return None
    parts = [p.strip() for p in re.split(r"\s+[-|_—]\s+|\s*[|_]\s*|-(?=[^-]*(?:网站|门户|政府网)$)", title) if p.strip()]
    parts = [p for p in parts if not re.search(_SITE_NAME_END, p) and not p.endswith("首页")] or parts
    return max(parts, key=len) if parts else None


def _adoption(head: list[str]) -> tuple[str, str] | None:
    """A congress adoption line → (its date, ``X人民代表大会常务委员会``)."""
    for p in head:
        m = ADOPTION_RE.search(re.sub(r"\s+", "", p))
        if m:
            date = find_date(m.group(1)) or ""
            body = f"{m.group(2)}人民代表大会{m.group(3) or ''}"
            return date, body
    return None


def _closing_date(paragraphs: list[str]) -> str | None:
    # The signed date (成文日期) comes before the printing line (…印发), which is a later date.
    tail = [p.strip() for p in reversed(paragraphs[-8:])]
    for s in tail:
        date = find_date(s, full=True)
        if date:
            return date
    # A covering notice signs above the document it issues: its signature is not at the end.
    signed = signature_date(paragraphs)
    if signed:
        return find_date(signed[1])
    for s in tail:
        if s.endswith("印发") and DATE_RE.search(s):
            return find_date(s)
    return None


def signature_date(paragraphs: list[str]) -> tuple[int, str] | None:
    """The first date set alone on its line under an issuer's or signer's name (a signature:
    ``广州市人民政府办公厅`` / ``2025年6月30日``), as (its paragraph, the date as written)."""
    for i in range(1, len(paragraphs)):
        s, above = paragraphs[i].strip(), paragraphs[i - 1].strip()
        if len(s) <= 16 and find_date(s, full=True) and len(above) <= 40 \
                and not re.search(r"[。，；]", above) \
                and (_ISSUER_END.search(above) or re.search(r"(?:总理|省长|市长|县长|区长|主任|部长)[：:]?", above)):
            return i, s
    return None


def printing_date(paragraphs: list[str]) -> tuple[int, str] | None:
    """The printing line at the end (``广州市人民政府办公厅秘书处2022年9月13日印发``): its
    paragraph and its date as written. 自印发之日起施行 counts from it."""
    for i in range(len(paragraphs) - 1, max(len(paragraphs) - 8, -1), -1):
        s = paragraphs[i].strip()
        if s.endswith("印发"):
            m = DATE_RE.search(s) or _CN_DATE_RE.search(s)
            if m:
                return i, m.group(0)
    return None


def _signature(paragraphs: list[str]) -> str | None:
    """The issuer signed above (or beside) the closing date: near the end, or above the date
    that closes a covering notice before the document it issues; units that issue jointly each sign on
    a line of their own (“上海市科学技术委员会 / 上海市发展和改革委员会 / 2025年7月10日”)."""
    tail = range(len(paragraphs) - 1, max(len(paragraphs) - 8, 0), -1)
    # A covering notice signs before the document it issues: a bare date line anywhere.
    rest = (i for i in range(len(paragraphs)) if DATE_RE.fullmatch(paragraphs[i].strip()))
    for i in [*tail, *rest]:
        s = paragraphs[i].strip()
        m = DATE_RE.search(s) or _CN_DATE_RE.search(s)
        if not m:
            continue
        before = s[: m.start()].strip()
        if before and _ISSUER_END.search(before) and len(before) <= 40:
            return before
        if m.end() == len(s) and not before:
            units = []
            for j in range(i - 1, max(i - 7, -1), -1):
                line = paragraphs[j].strip()
                if units and re.match(r"[和与及]", units[0]):
                    # A name broken across lines (…汇总表市工业 / 和信息化局): no unit's name
                    # starts with a conjunction. Its beginning is the longest end of the line
                    # above that the document writes with it elsewhere (市工业和信息化局组织…).
                    others = "".join(p for k, p in enumerate(paragraphs) if k != j)
                    start = next((line[-n:] for n in range(min(len(line), 12), 0, -1)
                                  if line[-n:] + units[0] in others), None)
                    if start:
                        units[0] = start + units[0]
                    break
                if not (_ISSUER_END.search(line) and len(line) <= 40 and not re.search(r"[。，；：:]", line)):
                    break
                units.insert(0, line)
            if units:
                return "、".join(units)
    return None


def _issued(paragraphs: list[str]) -> bool:
    tail = paragraphs[-6:]
    return any(p.strip().endswith("印发") and DATE_RE.search(p) for p in tail)


def _strip_title(title: str) -> str:
    title = title.strip()
    if title.count("《") == 1 and title.startswith("《") and title.endswith("》"):
        return title.strip("《》")
    return title


def place_of(text: str) -> str | None:
    """The place a title or issuer starts with (``遂昌县``, ``浙江省``, ``成都市``)."""
    m = re.match(r"^《?((?:(?!关于)[\u4e00-\u9fff]){2,8}?(?:省|自治区|市|自治州|州|县|区))", text)
    return m.group(1) if m else None


def _main_province(paragraphs: list[str]) -> str | None:
    """The province a document is about, by its full name (浙江省): the one it names most,
    named twice, or once by a text that speaks of its own province (我省, 全省)."""
    text = "".join(paragraphs)
    counts = {p: text.count(p) for p in PROVINCES}
    best = max(counts, key=counts.get)
    return PROVINCES[best] if counts[best] >= (1 if _speaks_as_province(paragraphs) else 2) else None


def _speaks_as_province(paragraphs: list[str]) -> bool:
    return any(w in p for p in paragraphs for w in OWN_PROVINCE_WORDS)


def _drafter(paragraphs: list[str]) -> str | None:
    """The unit a draft names as its drafter (起草单位：X, 由X牵头起草), or None."""
    m = _DRAFTER_RE.search("\n".join(p.strip() for p in paragraphs))
    if not m:
        return None
    unit = m.group("unit") or m.group("by")
    return unit if _ISSUER_END.search(unit) else None


def _level(region: str | None, title: str, issuer: str | None, paragraphs: list[str]) -> str | None:
    if (issuer or "").startswith(("国务院", "中共中央", "全国人民代表大会")) or title.startswith(
            ("国务院", "中共中央", "中华人民共和国")):
        return "national"
    for name in (region or "", issuer or ""):
        if name.endswith(("省", "自治区")):
            return "province"
        if name.endswith(("市", "州")):
            return "city"
        if name.endswith(("县", "区")):
            return "county"
    # Otherwise the units a document assigns tasks to tell its level (省经信厅 → province).
    units = re.findall(r"(?:^|[：:、，,])([省市县])[\u4e00-\u9fff]{1,8}(?:厅|局|委|办)", "".join(paragraphs))
    if units:
        top, _ = Counter(units).most_common(1)[0]
        return {"省": "province", "市": "city", "县": "county"}[top]
    return None


#: The addressees of an official document (主送机关): units joined by ，, before a colon.
_ADDRESSEES = re.compile(r"^(?P<units>[^。；;：:！？!?]{2,120}?)[：:]")
#: What names a unit that a document can be sent to (政府, 部门, 单位, 委员会, 局…).
_UNIT_END = re.compile(alternation(UNIT_ENDINGS) + "$|[)）]$")


def addressees(text: str) -> str | None:
    """The 主送机关 of a document whose body opens with ``text``: in its first two lines (a
    notice's title may come first), the units listed before a colon (“各区（市）县政府（管委
    会），市级有关部门，有关单位：”), else None."""
    for line in text.strip().split("\n")[:2]:
        m = _ADDRESSEES.match(line.strip())
        if not m:
            continue
        units = [u.strip() for u in re.split(r"[，,]", m.group("units")) if u.strip()]
        if units and all(_UNIT_END.search(u) for u in units):
            return "，".join(units)
    return None
