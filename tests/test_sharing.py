"""One index, many processes: real servers and a real CLI ingest share an index.

An ``assistant ingest`` from another process beside a running ``assistant serve`` is answered
by the server (embedded index), and two API replicas over one ``chroma run`` answer from the
same clauses; filtered questions asked meanwhile never fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from helpers import chroma_server, free_port, wait_until_ready

pytestmark = pytest.mark.integration


def policy(i: int, extra: str = "") -> str:
    """A small county policy whose figures name ``i``."""
    return (f"某县关于培育第{i}类新能源产业的实施意见\n一、发展目标\n"
            f"到2027年，第{i}类新能源产业产值达到{100 * i + 7}亿元。\n二、重点任务\n"
            f"（一）建设第{i}类储能基地，建成储能电站{i + 3}座。（责任单位：县发改局）\n{extra}")


def base_env(tmp_path: Path, index: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "SLACK_"))}
    return {**env, "ANONYMIZED_TELEMETRY": "False", "ASSISTANT_EMBEDDING_MODEL": "hash",
            "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(tmp_path / "corpus"),
            **more}


def assistant_exe() -> str:
    return shutil.which("assistant") or str(Path(sys.executable).parent / "assistant")


class Served:
    """``assistant serve`` on a free port of 127.0.0.1, stopped by :meth:`stop`."""

    def __init__(self, env: dict, cwd: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen([assistant_exe(), "serve", "--port", self.url.rsplit(":", 1)[1]],
                                     env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_until_ready(self.proc, self.url)

    def ask(self, question: str, **filters) -> httpx.Response:
        body = {"question": question, **({"filters": filters} if filters else {})}
        return httpx.post(self.url + "/api/ask", json=body, timeout=60)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


class Asking:
    """Filtered questions asked in a loop from a thread; every status code is kept."""

    def __init__(self, server: Served, doc_id: str) -> None:
        self.codes: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(server, doc_id), daemon=True)
        self._thread.start()

    def _run(self, server: Served, doc_id: str) -> None:
        while not self._stop.is_set():
            self.codes.append(server.ask("储能电站建成多少座？", doc_ids=[doc_id], status="final").status_code)
            self.codes.append(server.ask("新能源产业产值达到多少亿元？", level="county").status_code)

    def wait_for_more(self, answers: int, seconds: float = 120) -> None:
        """Wait until ``answers`` more questions have been answered (from now)."""
        target = len(self.codes) + answers
        deadline = time.time() + seconds
        while len(self.codes) < target:
            assert self._thread.is_alive() and time.time() < deadline, "the questions stopped"
            time.sleep(0.05)

    def stop(self) -> list[int]:
        self._stop.set()
        self._thread.join(timeout=60)
        return self.codes


def answered_from(server: Served, question: str, doc_id: str, wait: float = 10) -> dict:
    """The server's answer once it cites ``doc_id`` (the version check may lag a moment)."""
    deadline = time.time() + wait
    while True:
        r = server.ask(question)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["answered"] and {c["doc_id"] for c in body["citations"]} == {doc_id}:
            return body
        assert time.time() < deadline, f"never answered from {doc_id}: {body['answer']}"
        time.sleep(0.3)


def test_an_ingest_beside_a_running_server_is_answered_by_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in (1, 2):
        (corpus / f"p{i}.txt").write_text(policy(i), encoding="utf-8")
    env = base_env(tmp_path, tmp_path / "index")
    ingest = [assistant_exe(), "ingest"]
    assert subprocess.run([*ingest, str(corpus)], env=env, cwd=tmp_path, capture_output=True,
                          timeout=120).returncode == 0
    server = Served(env, tmp_path)
    try:
        first = server.ask("第3类新能源产业产值达到多少亿元？").json()
        assert "307亿元" not in first["answer"]
        asking = Asking(server, "p1")
        new = tmp_path / "new"
        new.mkdir()
        (new / "p3.txt").write_text(policy(3), encoding="utf-8")
        # A new document, then a changed one: its old clauses are deleted under the server.
        (corpus / "p1.txt").write_text(policy(1, "（二）新建第1类氢能基地。\n"), encoding="utf-8")
        for folder in (new, corpus):
            done = subprocess.run([*ingest, str(folder)], env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
        body = answered_from(server, "第3类新能源产业产值达到多少亿元？", "p3")
        assert "307亿元" in body["answer"]
        assert "氢能基地" in answered_from(server, "第1类氢能基地建在哪？", "p1")["answer"]
        asking.wait_for_more(4)  # questions keep coming after the server has seen the new version
        codes = asking.stop()
        assert codes and set(codes) == {200}, codes
    finally:
        server.stop()


def test_two_replicas_over_one_chroma_server_answer_the_same(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "p1.txt").write_text(policy(1), encoding="utf-8")
    with chroma_server(tmp_path / "chroma") as (url, _):
        # Each replica has its own local folder: nothing is shared but the Chroma server.
        envs = [base_env(tmp_path, tmp_path / f"replica{n}", ASSISTANT_CHROMA_URL=url) for n in (1, 2)]
        assert subprocess.run([assistant_exe(), "ingest", str(corpus)], env=envs[0], cwd=tmp_path,
                              capture_output=True, timeout=120).returncode == 0
        one, two = Served(envs[0], tmp_path), Served(envs[1], tmp_path)
        try:
            asking = Asking(two, "p1")
            up = httpx.post(one.url + "/api/documents", timeout=60,
                            files={"file": ("p4.txt", policy(4).encode(), "text/plain")})
            assert up.status_code in (201, 202), up.text
            body = answered_from(two, "第4类新能源产业产值达到多少亿元？", "p4", wait=30)
            assert "407亿元" in body["answer"]
            assert answered_from(one, "第4类新能源产业产值达到多少亿元？", "p4")["answer"] == body["answer"]
            listed = {d["doc_id"] for d in httpx.get(two.url + "/api/documents").json()["documents"]}
            assert listed == {"p1", "p4"}
            codes = asking.stop()
            assert codes and set(codes) == {200}, codes
        finally:
            one.stop()
            two.stop()
