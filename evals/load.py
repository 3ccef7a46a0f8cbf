"""Load test of a running assistant server: concurrent clients asking gold questions.

It starts no server. Start one first (``assistant serve``), then:

    python evals/load.py http://127.0.0.1:8000                 # 20 clients for 60 s
    python evals/load.py http://127.0.0.1:8000 --clients 5 --duration 20
    python evals/load.py http://127.0.0.1:8000 --warm-p50      # one client, warm latency
    python evals/load.py http://127.0.0.1:8000 --clients 50 --duration 60 \
        --upload ../shared/field-docs/govcn-04.html --upload ../shared/field-docs/govcn-10.html

Each client POSTs ``/api/ask`` with questions from ``evals/gold.jsonl`` in turn until the time
is up or the request budget is spent, so a run always stops by itself. Meanwhile one prober
GETs ``/healthz`` every ``--health-interval`` seconds. With ``--upload``, the files are uploaded
one after another while the clients ask: a ``202`` is followed to its job until it is done
(a server that indexes within the request answers ``201``). Uploads only change the index when
the files are new to it, so measure against a fresh index (``ASSISTANT_INDEX_DIR``).

Only loopback servers are accepted: this is a local measurement, not a tool to load someone
else's machine. The result is printed as JSON: requests, errors, throughput, answer p50/p95
(overall and while an upload was being indexed), ``/healthz`` p50/p95 and each upload's outcome.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

GOLD = Path(__file__).resolve().parent / "gold.jsonl"


def load_questions(path: Path) -> list[str]:
    """The questions of a gold JSONL file."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            questions.append(json.loads(line)["question"])
    if not questions:
        raise SystemExit(f"no questions in {path}")
    return questions


def check_loopback(base_url: str) -> None:
    """Exit unless the URL's host resolves only to loopback addresses."""
    host = urlsplit(base_url).hostname
    if not host:
        raise SystemExit(f"not a URL: {base_url!r} (e.g. http://127.0.0.1:8000)")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SystemExit(f"cannot resolve {host!r}: {exc}") from exc
    outside = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback]
    if outside:
        raise SystemExit(f"{host} resolves to {', '.join(sorted(outside))}: load tests run only "
                         "against a server on this machine (127.0.0.1, localhost, ::1)")


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile (p in 0..100) of ``values``, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _headers() -> dict[str, str]:
    key = os.environ.get("ASSISTANT_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class Recorder:
    """Latencies and errors from all clients (a lock: the clients are threads)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.latencies: list[float] = []
        self.during_upload: list[float] = []  # latencies of answers asked while a file indexed
        self.uploading = threading.Event()
        self.server_ms: list[float] = []
        self.answered = 0
        self.errors = 0
        self.error_samples: list[str] = []
        self._issued = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Reserve one request of the budget; False when it is spent."""
        with self._lock:
            if self._issued >= self.budget:
                return False
            self._issued += 1
            return True

    def ok(self, latency_ms: float, body: dict, during_upload: bool = False) -> None:
        """Record a successful answer (``during_upload``: asked while a file was indexing)."""
        with self._lock:
            self.latencies.append(latency_ms)
            if during_upload:
                self.during_upload.append(latency_ms)
            self.server_ms.append(float(body.get("latency_ms", 0.0)))
            self.answered += bool(body.get("answered"))

    def error(self, message: str) -> None:
        """Record a failed request (kept: a few messages to show)."""
        with self._lock:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(message[:300])


def _client_loop(base_url: str, questions: list[str], offset: int, deadline: float,
                 recorder: Recorder, timeout: float) -> None:
    i = offset
    with httpx.Client(base_url=base_url, timeout=timeout, headers=_headers()) as client:
        while time.monotonic() < deadline and recorder.take():
            question = questions[i % len(questions)]
            i += 1
            started = time.perf_counter()
            uploading = recorder.uploading.is_set()
            try:
                r = client.post("/api/ask", json={"question": question})
                elapsed = (time.perf_counter() - started) * 1000
                if r.status_code == 200:
                    recorder.ok(elapsed, r.json(), uploading)
                else:
                    recorder.error(f"HTTP {r.status_code}: {r.text}")
            except httpx.HTTPError as exc:
                recorder.error(f"{exc.__class__.__name__}: {exc}")


class HealthProbe:
    """``GET /healthz`` at a fixed interval until stopped: latencies and failures."""

    def __init__(self, base_url: str, interval: float, timeout: float) -> None:
        self.base_url, self.interval, self.timeout = base_url, interval, timeout
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-healthz", daemon=True)

    def start(self) -> None:
        """Start probing in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop probing and wait for the last probe."""
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    r = client.get("/healthz")
                    if r.status_code == 200:
                        self.latencies.append((time.perf_counter() - started) * 1000)
                    else:
                        self._error(f"HTTP {r.status_code}: {r.text}")
                except httpx.HTTPError as exc:
                    self._error(f"{exc.__class__.__name__}: {exc}")
                self._stop.wait(self.interval)

    def _error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message[:300])

    def summary(self) -> dict:
        """Probe count, errors and latency percentiles."""
        return {"probes": len(self.latencies) + self.errors, "errors": self.errors,
                "p50_ms": _ms(percentile(self.latencies, 50)),
                "p95_ms": _ms(percentile(self.latencies, 95)),
                "max_ms": _ms(max(self.latencies, default=None)),
                "error_samples": self.error_samples}


def upload_and_wait(client: httpx.Client, path: Path, deadline: float) -> dict:
    """Upload one file and wait until it is indexed (following a 202 to its job).

    Returns the file's outcome: status, seconds until indexed, clauses, or the error.
    """
    started = time.perf_counter()
    outcome: dict = {"file": path.name}
    try:
        r = client.post("/api/documents", files={"file": (path.name, path.read_bytes())})
        if r.status_code == 202:
            job_url = r.headers.get("location") or r.json()["status_url"]
            while True:
                job = client.get(job_url).json()
                if job["state"] in ("done", "failed") or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            outcome["job_state"] = job["state"]
            report = job.get("result") or {}
            outcome.update(status=report.get("status", job["state"]), clauses=report.get("clauses"),
                           error=job.get("error"))
        elif r.status_code in (200, 201):
            body = r.json()
            outcome.update(status=body.get("status"), clauses=body.get("clauses"))
        else:
            outcome.update(status="failed", error=f"HTTP {r.status_code}: {r.text[:300]}")
    except httpx.HTTPError as exc:
        outcome.update(status="failed", error=f"{exc.__class__.__name__}: {exc}")
    outcome["seconds"] = round(time.perf_counter() - started, 1)
    return outcome


def _uploader(base_url: str, files: list[Path], delay: float, deadline: float,
              recorder: Recorder, outcomes: list[dict]) -> None:
    time.sleep(delay)
    with httpx.Client(base_url=base_url, timeout=max(60.0, deadline - time.monotonic() + 60),
                      headers=_headers()) as client:
        recorder.uploading.set()
        try:
            for path in files:
                outcomes.append(upload_and_wait(client, path, deadline + 600))
        finally:
            recorder.uploading.clear()


def run_load(base_url: str, questions: list[str], clients: int, duration: float,
             max_requests: int, timeout: float, uploads: list[Path] | None = None,
             upload_delay: float = 2.0, health_interval: float = 0.25) -> dict:
    """``clients`` threads asking for ``duration`` seconds (at most ``max_requests`` in all),
    ``/healthz`` probed meanwhile, and ``uploads`` indexed one after another from
    ``upload_delay`` seconds in (the run waits for the last upload to finish)."""
    recorder = Recorder(max_requests)
    probe = HealthProbe(base_url, health_interval, timeout)
    outcomes: list[dict] = []
    started = time.monotonic()
    deadline = started + duration
    uploader = None
    if uploads:
        uploader = threading.Thread(target=_uploader, name="load-upload", daemon=True,
                                    args=(base_url, uploads, upload_delay, deadline, recorder,
                                          outcomes))
        uploader.start()
    probe.start()
    step = max(1, len(questions) // max(clients, 1))  # clients start at different questions
    threads = [
        threading.Thread(target=_client_loop, name=f"load-client-{n}", daemon=True,
                         args=(base_url, questions, n * step, deadline, recorder, timeout))
        for n in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + timeout + 5)
    elapsed = time.monotonic() - started
    if uploader is not None:
        uploader.join()
    probe.stop()
    done = len(recorder.latencies)
    total = done + recorder.errors
    return {
        "mode": "load",
        "base_url": base_url,
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "requests": total,
        "ok": done,
        "errors": recorder.errors,
        "error_rate": round(recorder.errors / total, 4) if total else None,
        "throughput_rps": round(done / elapsed, 2) if elapsed else None,
        "p50_ms": _ms(percentile(recorder.latencies, 50)),
        "p95_ms": _ms(percentile(recorder.latencies, 95)),
        "p99_ms": _ms(percentile(recorder.latencies, 99)),
        "max_ms": _ms(max(recorder.latencies, default=None)),
        "server_p50_ms": _ms(percentile(recorder.server_ms, 50)),
        "answered_share": round(recorder.answered / done, 3) if done else None,
        "during_upload": {"ok": len(recorder.during_upload),
                          "p50_ms": _ms(percentile(recorder.during_upload, 50)),
                          "p95_ms": _ms(percentile(recorder.during_upload, 95))},
        "healthz": probe.summary(),
        "uploads": outcomes,
        "error_samples": recorder.error_samples,
    }


def run_warm_p50(base_url: str, questions: list[str], requests: int, duration: float,
                 timeout: float) -> dict:
    """One client, after a few warm-up requests: the latency a single user sees."""
    latencies, server_ms, errors = [], [], 0
    deadline = time.monotonic() + duration
    with httpx.Client(base_url=base_url, timeout=timeout, headers=_headers()) as client:
        for q in questions[:3]:  # warm-up, not measured
            client.post("/api/ask", json={"question": q})
        for i in range(requests):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                r = client.post("/api/ask", json={"question": questions[i % len(questions)]})
            except httpx.HTTPError:
                errors += 1
                continue
            if r.status_code != 200:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            server_ms.append(float(r.json().get("latency_ms", 0.0)))
    return {
        "mode": "warm-p50",
        "base_url": base_url,
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": _ms(statistics.median(latencies)) if latencies else None,
        "p95_ms": _ms(percentile(latencies, 95)),
        "server_p50_ms": _ms(statistics.median(server_ms)) if server_ms else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, check the server is ready, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", help="the server, e.g. http://127.0.0.1:8000 (loopback only)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds to run (default 60)")
    parser.add_argument("--max-requests", type=int, default=50_000,
                        help="stop after this many requests in all (default 50000)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    parser.add_argument("--gold", type=Path, default=GOLD, help="questions (JSONL with 'question')")
    parser.add_argument("--upload", type=Path, action="append", default=[], metavar="FILE",
                        help="a file to upload and wait for while the clients ask (repeatable)")
    parser.add_argument("--upload-delay", type=float, default=2.0,
                        help="seconds into the run before the first upload (default 2)")
    parser.add_argument("--health-interval", type=float, default=0.25,
                        help="seconds between /healthz probes (default 0.25)")
    parser.add_argument("--warm-p50", action="store_true",
                        help="measure one client's warm latency instead of the load")
    parser.add_argument("--requests", type=int, default=50, help="requests for --warm-p50 (default 50)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0 or args.max_requests < 1:
        parser.error("--clients, --duration and --max-requests must be positive")
    missing = [str(p) for p in args.upload if not p.is_file()]
    if missing:
        parser.error(f"no such file to upload: {', '.join(missing)}")

    base_url = args.base_url.rstrip("/")
    check_loopback(base_url)
    questions = load_questions(args.gold)
    try:
        ready = httpx.get(f"{base_url}/readyz", timeout=10)
    except httpx.HTTPError as exc:
        print(f"cannot reach {base_url}: {exc} (start it with `assistant serve`)", file=sys.stderr)
        return 2
    if ready.status_code != 200:
        print(f"{base_url} is not ready: {ready.status_code} {ready.text}", file=sys.stderr)
        return 2

    if args.warm_p50:
        result = run_warm_p50(base_url, questions, args.requests, args.duration, args.timeout)
    else:
        result = run_load(base_url, questions, args.clients, args.duration, args.max_requests,
                          args.timeout, args.upload, args.upload_delay, args.health_interval)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
