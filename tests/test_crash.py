"""Crashes: the real CLI and the real server are killed with SIGKILL while they write.

After every kill the index, opened by a new process, holds every document whole (the old
version or the new one, never a mix) or not at all, no stale clause is left in Chroma, and a
re-run finishes the job. An upload killed half-way is rolled back when the server restarts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from helpers import free_port, wait_until_ready

from assistant.reading.parsing import parse_file
from assistant.service import Assistant
from assistant.settings import Settings

pytestmark = pytest.mark.integration

RUNNER = Path(__file__).resolve().parent / "crash_runner.py"
NUMERALS = "一二三四五六七八九十"


def policy(i: int, version: int) -> str:
    """Document ``i`` in ``version``: every clause's text and the clause count differ between versions."""
    tasks = "\n".join(
        f"（{NUMERALS[j]}）建设第{j + 1}类储能基地。到2027年建成储能电站{j + version}座，第{version}版。"
        f"（责任单位：县发改局、县经信局）"
        for j in range(6 + version)
    )
    return (f"某县关于培育第{i}类新能源产业的实施意见（第{version}版）\n一、发展目标\n"
            f"到2027年，第{i}类新能源产业产值达到{100 * i + version}亿元。\n二、重点任务\n{tasks}\n")


def write_corpus(folder: Path, version: int, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        (folder / f"policy-{i:02d}.txt").write_text(policy(i, version), encoding="utf-8")
    return folder


def expected_texts(folder: Path) -> dict[str, list[str]]:
    """doc_id → sorted clause texts, as an ingest of the folder's files makes them."""
    chunker = Assistant(Settings(embedding_model="hash"))
    out = {}
    for path in sorted(folder.glob("*.txt")):
        doc = parse_file(path)
        out[doc.meta.doc_id] = sorted(c.text for c in chunker.chunk(doc))
    return out


def env_for(root: Path, index: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "SLACK_"))}
    return {**env, "ANONYMIZED_TELEMETRY": "False", "ASSISTANT_EMBEDDING_MODEL": "hash",
            "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(root / "corpus")}


def run(args: list[str], env: dict, cwd: Path, step: str = "none", n: int = 0,
        timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), step, str(n), "--", *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def check(env: dict, cwd: Path, ask: str | None = None) -> dict:
    """The index as a new process sees it (``ask``: a question it must answer)."""
    out = subprocess.run([sys.executable, str(RUNNER), "check", *([ask] if ask else [])],
                         env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def assert_whole(state: dict, versions: list[dict[str, list[str]]], all_present: bool) -> None:
    """Every visible document is exactly one version of itself; nothing stale is stored."""
    for doc_id, texts in state["docs"].items():
        assert any(texts == v.get(doc_id) for v in versions), f"{doc_id} is a mix of versions"
    if all_present:
        assert set(state["docs"]) == set(versions[0])
    assert state["stored"] == state["committed"], "stale clauses left in the index"
    assert state["committed"] == sum(len(t) for t in state["docs"].values())


@pytest.fixture(scope="module")
def corpus_versions(tmp_path_factory):
    """An index of version 1 of 8 documents in ``work/``, and version 2 of the same files.

    Each test copies the index and changes the files of ``work/`` in place to version 2
    (the same paths, so the same documents are replaced).
    """
    root = tmp_path_factory.mktemp("crash")
    v1 = write_corpus(root / "v1", 1, 8)
    v2 = write_corpus(root / "v2", 2, 8)
    work = root / "work"
    shutil.copytree(v1, work)
    base = root / "base-index"
    started = time.perf_counter()
    done = run(["ingest", str(work)], env_for(root, base), root)
    assert done.returncode == 0, done.stderr[-2000:]
    shutil.copytree(v2, work, dirs_exist_ok=True)
    return root, v1, v2, base, work, time.perf_counter() - started


# (step, n, re-run afterwards): before the 2nd document's clauses, between two batches of
# one document, all clauses written but not committed, committed but the old version not yet
# deleted, and after the old version of the 3rd document is deleted.
KILL_POINTS = [
    ("_write_clauses:before", 2, False),
    ("upsert:after", 2, True),
    ("_commit:before", 1, False),
    ("_commit:after", 2, False),
    ("_drop_other_generations:after", 3, False),
]


@pytest.mark.parametrize(("step", "n", "rerun"), KILL_POINTS)
def test_cli_killed_while_replacing_documents(corpus_versions, tmp_path, step, n, rerun):
    root, v1, v2, base, corpus, _ = corpus_versions
    index = tmp_path / "index"
    shutil.copytree(base, index)
    env = env_for(root, index)
    killed = run(["ingest", str(corpus)], env, tmp_path, step, n)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    old, new = expected_texts(v1), expected_texts(v2)
    state = check(env, tmp_path)
    assert_whole(state, [old, new], all_present=True)
    assert any(state["docs"][d] == old[d] for d in old), "the kill came after the last write"

    if rerun:
        again = run(["ingest", str(corpus)], env, tmp_path)
        assert again.returncode == 0, again.stderr[-2000:]
        state = check(env, tmp_path, ask="第3类新能源产业产值达到多少亿元？")
        assert state["docs"] == new and state["answered"]
        assert state["stored"] == state["committed"]


def test_cli_killed_during_a_first_ingest(corpus_versions, tmp_path):
    root, v1, _, _, _, _ = corpus_versions
    env = env_for(root, tmp_path / "index")
    killed = run(["ingest", str(v1)], env, tmp_path, "_commit:after", 3)
    assert killed.returncode == -signal.SIGKILL
    state = check(env, tmp_path)
    assert_whole(state, [expected_texts(v1)], all_present=False)
    assert len(state["docs"]) == 3  # the committed ones are whole, the rest absent


def test_cli_killed_from_outside_at_any_moment(corpus_versions, tmp_path):
    """The plain ``assistant`` command, killed by the test after a share of a full run's time."""
    root, v1, v2, base, corpus, full_run = corpus_versions
    index = tmp_path / "index"
    shutil.copytree(base, index)
    env = env_for(root, index)
    exe = shutil.which("assistant") or str(Path(sys.executable).parent / "assistant")
    proc = subprocess.Popen([exe, "ingest", str(corpus)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(full_run * 0.6)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    old, new = expected_texts(v1), expected_texts(v2)
    state = check(env, tmp_path)
    assert_whole(state, [old, new], all_present=True)
    again = subprocess.run([exe, "ingest", str(corpus)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    state = check(env, tmp_path, ask="第3类新能源产业产值达到多少亿元？")
    assert state["docs"] == new and state["answered"]


# --- the server during an upload ------------------------------------------------------------


class Server:
    """``assistant serve`` through the crash runner, on a free port."""

    def __init__(self, env: dict, cwd: Path, step: str = "none", n: int = 0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER), step, str(n), "--", "serve", "--port", str(self.port)],
            env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until_ready(self.proc, self.url)

    def upload(self, name: str, data: bytes) -> httpx.Response:
        return httpx.post(self.url + "/api/documents", files={"file": (name, data, "text/plain")},
                          timeout=60)

    def upload_until_killed(self, name: str, data: bytes) -> str | None:
        """Upload and follow the job until the server dies in it; the job id, if it was sent."""
        try:
            r = self.upload(name, data)
        except httpx.HTTPError:
            return None  # killed before the 202 went out
        assert r.status_code == 202, r.text
        with pytest.raises(httpx.HTTPError):
            while True:  # the job never finishes: the server is killed inside it
                job = httpx.get(self.url + r.headers["location"], timeout=10).json()
                assert job["state"] in ("queued", "running"), job
                time.sleep(0.05)
        return r.json()["id"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def test_server_killed_during_uploads(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", 1, 1)
    index = tmp_path / "index"
    env = env_for(tmp_path, index)
    first, second, new = (policy(7, 1).encode(), policy(7, 2).encode(), policy(8, 1).encode())
    uploads = index / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "a.txt").write_bytes(first)  # as an earlier, finished upload left it
    assert run(["ingest", str(corpus), str(uploads)], env, tmp_path).returncode == 0

    # A new file: killed after its clauses are written, before they are committed.
    server = Server(env, tmp_path, "_write_clauses:after", 1)
    jobs = [server.upload_until_killed("b.txt", new)]
    assert server.proc.wait(timeout=30) == -signal.SIGKILL
    # A replacement: killed after the new version is committed, before the old file is dropped.
    server = Server(env, tmp_path, "_commit:after", 1)
    jobs.append(server.upload_until_killed("a.txt", second))
    assert server.proc.wait(timeout=30) == -signal.SIGKILL
    assert any(p.name.startswith(".backup-") for p in uploads.iterdir())

    server = Server(env, tmp_path)  # the restart reconciles the folder and the index
    try:
        docs = httpx.get(server.url + "/api/documents").json()["documents"]
        assert {d["file_name"] for d in docs} == {"policy-01.txt", "a.txt"}
        # A client that polls the restarted server learns what became of its upload (the
        # first one was rolled back, and reported, by the server started in between).
        if jobs[1] is not None:
            job = httpx.get(f"{server.url}/api/jobs/{jobs[1]}").json()
            assert job["state"] == "failed" and "upload the file again" in job["error"], job
            assert job["file_name"] == "a.txt"
    finally:
        server.stop()

    state = check(env, tmp_path, ask="第7类新能源产业产值达到多少亿元？")
    assert state["answered"]
    assert state["uploads"] == ["a.txt"], "leftover or unacknowledged files in uploads/"
    assert (uploads / "a.txt").read_bytes() == first  # rolled back: its job never said done
    indexed = {Path(src).name: digest for src, (_, digest) in state["sources"].items()
               if src.startswith(state["upload_dir"])}
    assert indexed == {"a.txt": hashlib.sha256(first).hexdigest()}
    a_texts = sorted(c.text for c in Assistant(Settings(embedding_model="hash")).chunk(
        parse_file(uploads / "a.txt")))
    assert state["docs"]["a"] == a_texts
    assert state["stored"] == state["committed"]
