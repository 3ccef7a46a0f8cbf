"""The terminal commands as a script or a reader sees them: run as a process with their
output piped (not a terminal), on a small hash-embedding index of two corpus files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.language.text import display_width

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FILES = ("zhejiang-spark-plan-2026-2030-draft.txt", "chengdu-2024-future-industries-opinions.txt",
         "hangzhou-action-plan-2024-2026-drafting-notes.txt")
SPARK_QUESTION = "浙江星火计划到2030年要培育多少个未来产业先导区？"
#: Punctuation that never starts a line of Chinese text.
NO_LINE_START = "，。；：、）》」』”"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """The environment of an ``assistant`` process on its own index of three corpus files."""
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(CORPUS / name, corpus / name)
    out = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    out.update(ASSISTANT_INDEX_DIR=str(root / "index"), ASSISTANT_CORPUS_DIR=str(corpus),
               ASSISTANT_EMBEDDING_MODEL="hash", ASSISTANT_LLM_PROVIDER="none", NO_COLOR="1")
    done = run(out, "ingest")
    assert done.returncode == 0, done.stderr
    return out


def run(env: dict[str, str], *args: str, stdin: str | None = None,
        columns: int | None = None) -> subprocess.CompletedProcess:
    """``assistant ARGS`` with standard output and error piped, as a script runs it."""
    exe = shutil.which("assistant") or str(Path(sys.executable).parent / "assistant")
    if columns:
        env = {**env, "COLUMNS": str(columns)}
    return subprocess.run([exe, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=300)


def test_a_piped_answer_is_not_wrapped_and_says_no_time(env):
    asked = run(env, "ask", SPARK_QUESTION)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(run(env, "ask", SPARK_QUESTION, "--json").stdout)["answer"]
    lines = asked.stdout.split("\n")
    # The answer as it is, line for line: nothing broken at 80 columns.
    assert lines[: answer.count("\n") + 1] == answer.split("\n")
    assert max(display_width(line) for line in lines) > 80  # long enough to have been wrapped
    assert not any(line.startswith(tuple(NO_LINE_START)) for line in lines), asked.stdout
    assert "[1] 《浙江省实施“星火计划”" in asked.stdout
    # How long it took only when asked for, and then said in words.
    assert " ms" not in asked.stdout + asked.stderr
    verbose = run(env, "ask", SPARK_QUESTION, "--verbose")
    assert verbose.stdout == asked.stdout
    assert "answered in " in verbose.stderr and verbose.stderr.rstrip().endswith(" ms")


def test_chat_says_how_a_follow_up_was_understood_before_answering_it(env):
    chat = run(env, "chat", stdin="成都的实施意见文号是什么？\n那杭州呢？\n")
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    understood = out.index("结合上文理解为：")
    first_sources = out.index("[1]")
    assert first_sources < understood  # the first question is asked as it stands
    line = out[understood:].split("\n", 1)[0]
    assert "杭州" in line, line
    # The follow-up's answer comes after the line that says how it was taken.
    second_answer = out[understood + len(line):].strip()
    assert second_answer and not second_answer.startswith("结合上文")
    assert " ms" not in out + chat.stderr


def test_docs_reads_at_80_columns_and_wide_gives_every_column(env):
    listed = run(env, "docs", columns=80)
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout
    assert "…" not in out  # nothing cut
    for doc_id, title, details in (
            ("chengdu-2024-future-industries-opinions",
             "《成都市人民政府关于前瞻培育未来产业构筑高质量发展新动能的实施意见》",
             "成都市 · 成都市人民政府 · 成府发〔2024〕2号 · 2024-01-03 · final"),
            ("hangzhou-action-plan-2024-2026-drafting-notes",
             "《〈杭州市未来产业培育行动计（2024-2026年）〉（征求意见稿）起草说明》",
             "杭州市 · 杭州市经信局 · draft")):
        block = out.split(doc_id + "\n", 1)[1].split("\n")
        assert block[0].strip() == title  # never 《《…》…》
        assert block[1].strip().startswith(details), block[1]
    # The first line of each document is its id alone, whole.
    assert out.split("\n")[0] == "chengdu-2024-future-industries-opinions"

    wide = run(env, "docs", "--wide").stdout  # piped: as wide as it needs
    header = next(line for line in wide.split("\n") if "doc_id" in line)
    for column in ("title", "issuer", "number", "date", "status", "region", "clauses"):
        assert column in header
    assert "成都市人民政府关于前瞻培育未来产业构筑高质量发展新动能的实施意见" in wide
    assert "…" not in wide


def test_chunks_shows_clause_text_with_text(env):
    plain = run(env, "chunks", str(CORPUS / FILES[2]))
    full = run(env, "chunks", str(CORPUS / FILES[2]), "--text")
    assert plain.returncode == full.returncode == 0
    assert plain.stdout.startswith("《〈杭州市未来产业培育行动计（2024-2026年）〉（征求意见稿）起草说明》\n")
    sentence = "为谋划杭州未来产业布局，推动未来产业创新发展"
    assert sentence not in plain.stdout and sentence in full.stdout


def test_a_failed_file_is_named_in_full(env, tmp_path):
    folder = tmp_path / "一个名字很长的文件夹用来检验失败的文件名不会被截断" / "再深一层的文件夹"
    folder.mkdir(parents=True)
    bad = folder / "扫描件没有文字层的通知文件名也很长.pdf"
    bad.write_bytes(b"%PDF-1.7\n garbage \x00\x01 no xref")
    done = run(env, "ingest", str(bad), columns=80)
    assert done.returncode == 1
    assert f"failed: {bad}: " in done.stderr  # the whole path, on one line
    assert "1 of 1 files failed" in done.stderr


@pytest.mark.parametrize("command", ["ingest", "ask", "chat", "chunks", "docs", "eval", "serve", "slack"])
def test_help_is_accurate(command):
    from assistant.cli import app

    shown = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
    assert "<bool>" not in shown  # a flag takes no value
    if command in ("ingest", "chunks"):
        assert "html" in shown  # every format the readers take
    assert "<bool>" not in CliRunner().invoke(app, ["--help"]).output
