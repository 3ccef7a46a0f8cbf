"""Cutting Chinese text into words: jieba, loaded once and shared, the index terms of a text,
and the place names jieba tags.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from .lexicon import QUOTED_TERM_MAX, quoted
from .text import nfkc

# Function words and question words: they match everywhere and say nothing about the topic.
STOPWORDS = set(
    ["的", "了", "和", "与", "及", "或", "是", "在", "对", "为", "等", "中", "上", "下", "把", "被", "将", "以", "于", "向", "从", "由", "其", "之", "这", "那", "有", "也", "都", "就", "还", "并", "而", "吗", "呢", "吧", "啊", "呀", "么", "哪", "哪些", "哪个", "哪里", "什么", "怎么", "怎样", "如何", "多少", "几个", "几", "是否", "有没有", "要", "会", "能", "可以", "哪一个", "谁", "请问", "一下", "关于", "方面", "情况", "具体", "主要", "分别", "我们", "你们", "他们", "它", "该", "此", "个", "项", "家", "条", "what", "which", "who", "how", "many", "much", "is", "are", "the", "a", "an", "of", "in", "on", "for", "to", "and", "or", "does", "do", "did", "by", "with"]
)
_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-/%]*[A-Za-z0-9+%]|[A-Za-z0-9]")
#: A quoted name kept whole as one index term (“星火训练营”).
QUOTED_TERM = quoted(QUOTED_TERM_MAX)

_jieba_lock = threading.Lock()
_jieba_ready = False


def jieba_loaded():
    """jieba, initialised once per process (its dictionary loads in about a second)."""
    global _jieba_ready
    import jieba

    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True
    return jieba


@lru_cache(maxsize=1024)
def place_names(text: str) -> tuple[str, ...]:
    """Place names in a text by jieba's ``ns`` tag (深圳, 北京市), two characters or more.

    Cached: the same question is looked at by the refusal checks, the sentence choice and
    the follow-up rewrite.
    """
    import jieba.posseg as pseg

    jieba_loaded()
    return tuple(w for w, flag in pseg.cut(text) if flag == "ns" and len(w) >= 2)


def bm25_tokens(text: str) -> list[str]:
    """BM25 terms: :func:`tokenize` plus Chinese character bigrams, which match phrasings that
    jieba segments differently (县校合作 / 县校 合作)."""
    runs = re.findall(r"[\u4e00-\u9fff]+", nfkc(text))
    return tokenize(text) + [run[i:i + 2] for run in runs for i in range(len(run) - 1)]


def tokenize(text: str) -> list[str]:
    """Index terms of a text: jieba words (search mode), whole numbers and Latin terms
    (``2030``, ``6G``, ``5G-A``, ``AI+``) and quoted names (“星火训练营”) kept intact."""
    text = nfkc(text)
    tokens = [t.lower() for t in _LATIN.findall(text)]
    tokens += [q for q in QUOTED_TERM.findall(text)]
    for word in jieba_loaded().lcut_for_search(text):
        word = word.strip().lower()
        if not word or word in STOPWORDS or not re.search(r"\w", word):
            continue
        if word.isascii() and word.isalnum():
            continue  # already taken whole by the Latin pattern
        tokens.append(word)
    return tokens
