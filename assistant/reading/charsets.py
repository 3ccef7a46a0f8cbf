"""Decoding text files whose encoding is not declared, without indexing mojibake.

Bytes that decode as UTF-8 are UTF-8. Legacy Chinese files are another matter: GB18030 gives
*some* character for almost any byte pair, so a Big5, Shift-JIS or EUC-KR file decodes without
an error into rare ideographs, kana, symbols and private-use characters, and would be indexed as
garbage. Mojibake also arrives already saved as UTF-8.

A reading is therefore accepted only when its text looks like Chinese: among its non-ASCII
letters, the share of *common* Chinese characters must be high. The common characters are not
typed in but derived: the 1,500 most frequent characters of jieba's dictionary (summing the
frequencies of the words each character occurs in), plus the traditional forms among the
Big5 standard's level-1 常用字 that GB 2312 lacks (jieba's dictionary is simplified, so these
stand in for the traditional counterparts of its frequent characters). Real Chinese text,
simplified or traditional, scores above 0.9 (0.92–0.97 on published policy documents and web
pages). Text decoded with the wrong codec is a sample of characters unrelated to Chinese usage:
of the 6,763 characters of GB 2312 or the 13,000 of Big5 only about a fifth are common, and
kana, Hangul, accented letters and private-use characters never are, so such text scores
0.1–0.3 (EUC-KR Korean read as GB18030, whose Hangul land on GB 2312 ideographs, scores about
0.27). The threshold sits between the two.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Legacy encodings of Chinese text tried in order: simplified (GB18030 includes GBK and
# GB 2312), then traditional (Big5 as Windows writes it, then the Hong Kong extension).
CHINESE_CODECS = ("gb18030", "cp950", "big5hkscs")
# How many of jieba's most frequent characters count as common (about 96 % of policy text).
FREQUENT_SIMPLIFIED = 1500
# Minimum share of common Chinese characters among the non-ASCII letters (see the module doc).
MIN_CHINESE_SHARE = 0.6
# Fewer CJK characters than this in a Unicode file are too few to judge.
MIN_JUDGED = 20

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


class EncodingError(ValueError):
    """The bytes are not Chinese text in any encoding tried; the message says what to do."""


@dataclass(frozen=True)
class Decoding:
    """One codec's reading of the bytes and how Chinese it looks."""

    codec: str
    text: str
    chinese_share: float


@cache
def common_chinese() -> frozenset[str]:
    """The commonly used Chinese characters, simplified and traditional (see the module doc)."""
    import jieba

    frequency: Counter[str] = Counter()
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    with dictionary.open(encoding="utf-8") as lines:
        for line in lines:
            word, count = line.split(" ", 2)[:2]
            for ch in word:
                frequency[ch] += int(count)
    common = {ch for ch, _ in frequency.most_common(FREQUENT_SIMPLIFIED)}
    gb2312 = {ch for lead in range(0xA1, 0xFF) for trail in range(0xA1, 0xFF)
              for ch in _decode_pair(lead, trail, "gb2312")}
    # Big5 level 1 runs from 0xA440 to 0xC67E.
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if (lead, trail) <= (0xC6, 0x7E):
                common.update(ch for ch in _decode_pair(lead, trail, "cp950") if ch not in gb2312)
    return frozenset(common)


def _decode_pair(lead: int, trail: int, codec: str) -> str:
    try:
        return bytes((lead, trail)).decode(codec)
    except UnicodeDecodeError:
        return ""


def chinese_share(text: str) -> float | None:
    """Share of the non-ASCII letters that are common Chinese characters.

    Letters are ideographs, kana, Hangul, accented Latin and other alphabets; private-use,
    unassigned and control characters count as letters too, since only a wrong decoder makes
    them. Punctuation, symbols, numerals and full-width ASCII are left out. None when the text
    has no non-ASCII letter at all.
    """
    common = common_chinese()
    good = total = 0
    for ch in text:
        if ch.isascii() or ch.isspace() or "\uff01" <= ch <= "\uff5e":
            continue
        category = unicodedata.category(ch)
        if category[0] == "L" or category in ("Co", "Cn", "Cc"):
            total += 1
            good += ch in common
    return good / total if total else None


def decode_chinese(data: bytes) -> Decoding:
    """Decode the bytes of a text file as UTF-8 or as the legacy encoding of Chinese they are in.

    A byte-order mark or valid UTF-8 fixes the encoding; the text is refused when its CJK
    characters are not Chinese (:func:`_unicode_text`), and UTF-8 holding Chinese that was once
    read as Windows-1252 (``å›½åŠ¡é™¢``) is turned back into the Chinese. Otherwise each codec in
    :data:`CHINESE_CODECS`, and the one charset-normalizer detects, is tried; the decoding whose
    text has the highest :func:`chinese_share` is returned if it reaches
    :data:`MIN_CHINESE_SHARE`. Raises :class:`EncodingError` when none does.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _unicode_text(codec, data.decode(codec))
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"the file starts with a {codec.upper()} byte-order mark but is not valid "
                    f"{codec.upper()} ({exc.reason} at byte {exc.start}); save the file as UTF-8"
                ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _undo_double_decoding(text) or _unicode_text("utf-8", text)
    decodings: list[Decoding] = []
    failures: list[str] = []
    for codec in CHINESE_CODECS:
        try:
            decodings.append(_scored(codec, data.decode(codec)))
        except UnicodeDecodeError as exc:
            failures.append(f"{codec}: invalid bytes at {exc.start}")
    best = max(decodings, key=lambda d: d.chinese_share, default=None)
    if best is not None and best.chinese_share >= MIN_CHINESE_SHARE:
        return best
    detected = _detected(data)
    if detected and detected.codec not in CHINESE_CODECS:
        if detected.chinese_share >= MIN_CHINESE_SHARE:
            return detected  # e.g. UTF-16 without a byte-order mark
        decodings.append(detected)
    raise EncodingError(_refusal(decodings, failures, detected))


def _unicode_text(codec: str, text: str) -> Decoding:
    """Text from a Unicode encoding, refused when its CJK characters are not Chinese.

    Only East Asian wide characters are judged (ideographs, kana, Hangul, and the private-use
    and replacement characters mis-decoded text leaves), and only when there are at least
    :data:`MIN_JUDGED` of them: English or French text in UTF-8 is never refused, while
    mojibake saved as UTF-8, Japanese or Korean is.
    """
    wide = "".join(ch for ch in text if _judged_wide(ch))
    share = chinese_share(wide)
    if len(wide) >= MIN_JUDGED and share is not None and share < MIN_CHINESE_SHARE:
        raise EncodingError(
            f"the text is valid {codec.upper()} but does not look like Chinese ({share:.0%} "
            f"common Chinese characters among its {len(wide)} CJK characters): it may be text "
            "decoded with the wrong encoding and saved again, or in another language; open the "
            "original file and save it as UTF-8"
        )
    return Decoding(codec, text, 1.0 if share is None else share)


def _judged_wide(ch: str) -> bool:
    if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff":
        return True
    return unicodedata.east_asian_width(ch) == "W" and unicodedata.category(ch)[0] == "L"


def _undo_double_decoding(text: str) -> Decoding | None:
    """Chinese text once read with a Western codec and saved as UTF-8 (``å›½åŠ¡é™¢`` for 国务院).

    Text without a single wide character whose non-ASCII characters all fit in one byte of
    Windows-1252 or Latin-1 is turned back into those bytes; when they are valid UTF-8 of Chinese
    text (which the bytes of a Western text practically never are: an accented letter is not
    followed by UTF-8 continuation bytes), that reading is the text.
    """
    if text.isascii() or any(unicodedata.east_asian_width(ch) in "WF" for ch in text):
        return None
    raw = bytearray()
    for ch in text:
        try:
            raw += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return None
            raw.append(ord(ch))  # the five bytes cp1252 leaves undefined read as C1 controls
    try:
        inner = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None
    share = chinese_share(inner) or 0.0
    if share < MIN_CHINESE_SHARE or not any("\u4e00" <= ch <= "\u9fff" for ch in inner):
        return None
    return Decoding("utf-8 read as cp1252", inner, share)


def _scored(codec: str, text: str) -> Decoding:
    share = chinese_share(text)
    return Decoding(codec, text, 1.0 if share is None else share)


def _detected(data: bytes) -> Decoding | None:
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is None:
        return None
    return _scored(match.encoding, str(match))


def _refusal(decodings: list[Decoding], failures: list[str], detected: Decoding | None) -> str:
    tried = [
        f"{d.codec}: {d.chinese_share:.0%} common Chinese characters"
        for d in sorted(decodings, key=lambda d: -d.chinese_share)
    ]
    if tried:
        message = "the text does not look like Chinese in any encoding tried"
    else:
        message = "the file is not valid text in any encoding tried; it may be cut short or damaged"
    message += f" ({'; '.join(tried + failures)})"
    if detected and detected.codec not in CHINESE_CODECS:
        message += f"; it may be {detected.codec} text"
    return message + "; save the file as UTF-8"
