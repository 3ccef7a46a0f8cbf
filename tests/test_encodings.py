"""Text files in every encoding Chinese documents come in; mojibake and other languages refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.reading.charsets import MIN_CHINESE_SHARE, chinese_share, decode_chinese
from assistant.reading.parsing import ParseError, decode_text, parse_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "corpus").glob("*.txt"))
FIELD_DOCS = ROOT.parent / "shared" / "field-docs"

SIMPLIFIED = """遂昌县关于培育发展未来产业的实施意见
遂政办发〔2024〕11号
为加快推动未来产业发展，积极培育增长新动能，加速实现县域跨越式高质量发展，提出如下意见。
一、发展目标
到2028年，培育2至3个未来产业成为经济发展的新支柱，带动全县技术创新水平大幅提升。
（一）夯实创新能力。主动对接周边高水平科研院校以及未来产业研究院，积极建立创新合作联系。（责任单位：县经济商务科技局、县财政局）
（二）招引关键资源。建立未来产业招商机制，对重大项目实行“一事一议”。
遂昌县人民政府办公室
2024年5月20日
"""

TRADITIONAL = """遂昌縣關於培育發展未來產業的實施意見
為加快推動未來產業發展，積極培育增長新動能，加速實現縣域跨越式高質量發展，提出如下意見。
一、發展目標
到2028年，培育2至3個未來產業成為經濟發展的新支柱，帶動全縣技術創新水平大幅提升。
（一）夯實創新能力。主動對接周邊高水平科研院校以及未來產業研究院，積極建立創新合作聯繫。（責任單位：縣經濟商務科技局、縣財政局）
（二）招引關鍵資源。建立未來產業招商機制，對重大項目實行「一事一議」。
遂昌縣人民政府辦公室
2024年5月20日
"""

JAPANESE = (
    "日本国政府は、経済財政運営と改革の基本方針を閣議決定しました。デジタル田園都市国家構想を"
    "推進し、地方の活性化を図ります。政府は今後五年間で研究開発への投資を拡大し、地方自治体と"
    "連携して地域の革新拠点を整備する計画です。また、中小企業のデジタル化を支援し、専門人材を"
    "育成するため、大学と企業が共に参加する教育課程を拡充します。"
)

KOREAN = (
    "대한민국 정부는 인공지능 산업을 육성하기 위한 종합 계획을 발표했습니다. 정부는 앞으로 5년 동안 "
    "연구개발에 집중 투자하고, 지방 자치단체와 협력하여 지역 혁신 거점을 조성할 계획이다. 또한 "
    "중소기업의 디지털 전환을 지원하고 전문 인력을 양성하기 위해 교육 과정을 확대한다."
)

FRENCH = (
    "Le gouvernement français a présenté une stratégie nationale pour l'intelligence "
    "artificielle. Les entreprises bénéficieront d'aides à l'innovation, notamment dans les "
    "régions défavorisées, et les universités créeront des formations spécialisées."
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "gbk", "gb2312"])
def test_simplified_chinese_decodes_in_every_encoding(encoding):
    assert decode_text(SIMPLIFIED.encode(encoding)) == SIMPLIFIED


@pytest.mark.parametrize("encoding", ["utf-8", "big5", "cp950", "big5hkscs", "gb18030"])
def test_traditional_chinese_decodes_in_every_encoding(encoding):
    assert decode_text(TRADITIONAL.encode(encoding)) == TRADITIONAL


def test_big5_file_is_read_as_traditional_chinese(tmp_path):
    path = tmp_path / "suichang-big5.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    doc = parse_file(path)
    assert doc.meta.title == "遂昌縣關於培育發展未來產業的實施意見"
    assert doc.meta.date == "2024-05-20"
    assert "一、發展目標" in doc.paragraphs


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_corpus_decodes_exactly_as_before(path):
    data = path.read_bytes()
    assert decode_text(data) == data.decode("utf-8-sig")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_corpus_saved_in_legacy_encodings_decodes_to_the_same_text(path):
    text = path.read_bytes().decode("utf-8")
    for encoding in ("gb18030", "gbk"):
        decoding = decode_chinese(text.encode(encoding))
        assert decoding.codec == "gb18030" and decoding.text == text


def test_published_documents_saved_as_gb18030_decode_to_the_same_text():
    docs = sorted(p for p in FIELD_DOCS.glob("*") if p.suffix in (".html", ".md"))
    if not docs:
        pytest.skip("the field documents are not beside the project")
    for path in docs:
        text = path.read_text(encoding="utf-8")
        assert decode_text(text.encode("utf-8")) == text, path.name
        assert decode_text(text.encode("gb18030")) == text, path.name


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (JAPANESE.encode("shift_jis"), "cp932"),
        (JAPANESE.encode("euc_jp"), None),
        (KOREAN.encode("euc_kr"), None),
        (KOREAN.encode("cp949"), None),
        (FRENCH.encode("latin-1"), None),
        (FRENCH.encode("cp1252"), None),
        # Big5 text misread as GBK elsewhere and saved again as GB18030 / as UTF-8
        (TRADITIONAL.encode("big5").decode("gbk", errors="replace").encode("gb18030"), None),
        (TRADITIONAL.encode("big5").decode("gbk", errors="replace").encode("utf-8"), None),
        (SIMPLIFIED.encode("gbk").decode("big5", errors="replace").encode("utf-8"), None),
        (JAPANESE.encode("utf-8"), None),
        (KOREAN.encode("utf-16"), None),
    ],
    ids=["shift-jis", "euc-jp", "euc-kr", "cp949", "latin-1", "cp1252", "big5-as-gbk",
         "big5-as-gbk-utf8", "gbk-as-big5-utf8", "japanese-utf8", "korean-utf16"],
)
def test_text_that_is_not_chinese_is_refused_with_a_clear_error(data, hint):
    with pytest.raises(ParseError, match="does not look like Chinese") as err:
        decode_text(data)
    assert "UTF-8" in str(err.value)
    if hint:
        assert hint in str(err.value)


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_refused(seed):
    rng = random.Random(seed)
    data = bytes(rng.randrange(1, 256) for _ in range(4000))
    with pytest.raises(ParseError, match="does not look like Chinese|not valid text") as err:
        decode_text(data)
    assert "save the file as UTF-8" in str(err.value)


def test_damaged_gbk_file_is_refused_with_the_place_of_the_damage():
    data = SIMPLIFIED.encode("gbk")
    with pytest.raises(ParseError, match="not valid text") as err:
        decode_text(data[:-3] + b"\xd5")  # cut in the middle of a character
    assert f"gb18030: invalid bytes at {len(data) - 3}" in str(err.value)


def test_refused_file_is_reported_by_parse_file(tmp_path):
    path = tmp_path / "japanese.txt"
    path.write_bytes(JAPANESE.encode("shift_jis"))
    with pytest.raises(ParseError, match="save the file as UTF-8"):
        parse_file(path)


def _read_as(data: bytes, western: str) -> str:
    # Bytes cp1252 leaves undefined come through as C1 controls, as editors show them.
    out = []
    for b in data:
        try:
            out.append(bytes([b]).decode(western))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


@pytest.mark.parametrize("western", ["cp1252", "latin-1"])
def test_chinese_once_read_as_windows_1252_is_restored(western):
    mojibake = _read_as(SIMPLIFIED.encode("utf-8"), western)
    assert "å" in mojibake and "县" not in mojibake
    assert decode_text(mojibake.encode("utf-8")) == SIMPLIFIED


@pytest.mark.parametrize(
    "text",
    [
        FRENCH,
        "Pokémon café Ã© naïve résumé",
        "Policy brief on 数字经济 (digital economy) and カタカナ names.",
        "A short note: 遂昌, 丽水",
    ],
)
def test_utf8_text_that_is_not_mostly_cjk_is_kept(text):
    assert decode_text(text.encode("utf-8")) == text


def test_chinese_share_separates_chinese_from_mojibake():
    real = [chinese_share(p.read_text(encoding="utf-8")) for p in CORPUS]
    real += [chinese_share(SIMPLIFIED), chinese_share(TRADITIONAL)]
    wrong = [
        chinese_share(TRADITIONAL.encode("big5").decode("gb18030", errors="replace")),
        chinese_share(SIMPLIFIED.encode("gbk").decode("cp950", errors="replace")),
        chinese_share(KOREAN.encode("euc_kr").decode("gb18030")),
        chinese_share(JAPANESE.encode("shift_jis").decode("gb18030", errors="replace")),
    ]
    assert min(real) > 0.9 > MIN_CHINESE_SHARE > 0.4 > max(wrong)
    assert chinese_share("plain ASCII") is None
