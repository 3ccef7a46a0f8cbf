"""Main-content extraction compared on saved government pages: the project's reader and libraries.

Run: pip install -e '.[compare]' (a recent pip), then python evals/compare_html.py [FOLDER]
(default ../shared/field-docs). For every .html page it finds the page's body sentences without
any extractor (every text node, split at sentence ends: text with 。！？ and ten or more
Chinese characters) and reports, per extractor, the share of them its output keeps (mean, worst,
pages under 95 %), how many pages keep site-chrome labels, and the time taken.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from assistant.language.text import normalize

CHROME = ["浏览次数", "分享到", "扫一扫在手机", "网站地图", "当前位置", "ICP备", "网站标识码", "打印本页",
          "关闭窗口", "浏览量", "主办：", "无障碍阅读", "长者助手", "相关新闻", "相关链接"]


def reference(html: str) -> list[str]:
    """The page's sentences, found without any main-content logic."""
    import lxml.html

    root = lxml.html.fromstring(html)
    for bad in root.xpath("//script|//style|//noscript|//title"):
        bad.drop_tree()
    text = re.sub(r"[\u3000]{2,}", "\n", "\n".join(root.itertext()))
    found = (normalize(s) for s in re.findall(r"[^。！？\n]+[。！？]", text))
    return [s for s in found if len(s) >= 15 and len(re.findall(r"[\u4e00-\u9fff]", s)) >= 10]


def ours(html: str) -> str:
    from assistant.reading.webpages import read_html

    return "\n".join(text for text, _ in read_html(html.encode("utf-8")).blocks)


def trafilatura_(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_tables=True, favor_recall=True) or ""


def readability_(html: str) -> str:
    import lxml.html
    from readability import Document

    return lxml.html.fromstring(Document(html).summary()).text_content()


def justext_(html: str) -> str:
    import justext

    # jusText ships no Chinese stop list; an empty one is all it can be given.
    paragraphs = justext.justext(html.encode("utf-8"), frozenset())
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


EXTRACTORS = {"assistant.webpages": ours, "trafilatura": trafilatura_,
              "readability-lxml": readability_, "jusText": justext_}


def main() -> None:
    """Print one line per extractor."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=Path("../shared/field-docs"))
    args = parser.parse_args()
    pages = sorted(args.folder.glob("*.htm*"))
    print(f"{len(pages)} pages")
    for name, extract in EXTRACTORS.items():
        kept, chrome, seconds = [], 0, 0.0
        for page in pages:
            html = page.read_text(encoding="utf-8", errors="replace")
            ref = reference(html)
            t = time.perf_counter()
            try:
                out = extract(html)
            except Exception:  # an extractor that crashes on a page keeps nothing of it
                out = ""
            seconds += time.perf_counter() - t
            if ref:
                text = normalize(out)
                kept.append(sum(s in text for s in ref) / len(ref))
            chrome += any(label in out for label in CHROME)
        print(f"{name:20s} kept mean {sum(kept) / len(kept):.3f}  worst {min(kept):.3f}  "
              f"pages <95% {sum(k < 0.95 for k in kept):3d}  pages with chrome {chrome:3d}  "
              f"{seconds:.1f} s")


if __name__ == "__main__":
    main()
