"""The ``assistant`` command line: ingest, ask, chunks, docs, measures, eval, serve."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

#: The width given to rich when the output is not a terminal: wide enough that no line of a
#: table or a message is ever wrapped (a file or a pipe has no width to fit).
UNWRAPPED = 100_000


class _FlagsWithoutType:
    """Help that shows no ``<bool>`` beside a flag: ``--json`` takes no value."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class _Group(_FlagsWithoutType, TyperGroup):
    pass


class _Command(_FlagsWithoutType, TyperCommand):
    pass


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_Group,
                  help="Ask questions about Chinese policy documents; every answer cites its clause.")


def command(*args, **kwargs):
    """``app.command`` with the help of this CLI (flags shown without a type)."""
    return app.command(*args, cls=_Command, **kwargs)


def _console(stderr: bool = False) -> Console:
    """A console on standard output (or error). On a terminal rich fits what it prints to the
    terminal's width; in a file or a pipe nothing is wrapped (``COLUMNS``, when set, still
    gives a width). Made when printing, so that it sees the stream the command writes to."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, width=UNWRAPPED, highlight=False)


def _say(*lines: str) -> None:
    """Plain lines on standard output, never wrapped: a terminal wraps them at its own width,
    and a file or a pipe gets each line whole."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def _assistant(**overrides):
    from .service import Assistant
    from .settings import Settings

    return Assistant(Settings(**overrides))


def _progress(*extra) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), *extra,
                    TimeElapsedColumn(), console=_console(stderr=True), transient=False)


def _ingest_with_bar(assistant, paths=None, prune=False):
    """Ingest with a progress bar: files done, clauses indexed and clauses per second."""
    with _progress(TextColumn("{task.fields[clauses]}")) as bar:
        task: list[int] = []
        started = time.perf_counter()

        def report(stage: str, done: int, total: int) -> None:
            if not task:
                task.append(bar.add_task("files", total=None, clauses=""))
            if stage == "files":
                bar.update(task[0], completed=done, total=total)
            elif stage == "clauses":
                rate = done / max(time.perf_counter() - started, 1e-6)
                bar.update(task[0], clauses=f"{done:,} clauses, {rate:,.0f} clauses/s")
            elif stage == "embed" and total:
                bar.update(task[0], clauses=f"embedding {done:,}/{total:,}")

        if paths is None:
            return assistant.ensure_index(progress=report)
        return assistant.ingest(paths, prune=prune, progress=report)


def _fail(message: str, code: int = 2) -> None:
    # One plain line, not wrapped by the terminal width: scripts and logs read it whole.
    sys.stderr.write(f"error: {' '.join(str(message).split())}\n")
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the errors an operator can fix into one line and exit code 2, not a traceback."""
    from .answering.llm import LLMConfigError
    from .index.embeddings import EmbeddingError
    from .index.store import StoreError
    from .reading.parsing import ParseError
    from .service import QuestionError, SetupError

    try:
        yield
    except (QuestionError, SetupError, StoreError, EmbeddingError, LLMConfigError, ParseError) as exc:
        _fail(str(exc))


@command()
def ingest(
    paths: list[Path] = typer.Argument(None, metavar="PATH",
                                       help="Files or folders (default: the corpus folder)."),
    prune: bool = typer.Option(False, "--prune", help="Remove clauses of files deleted from these folders."),
) -> None:
    """Index policy documents (txt, md, html, pdf, docx); unchanged files are skipped.

    Exits with code 1 when any file failed (a missing path included); each failed file is named in full, with the reason.
    """
    assistant = _assistant()
    with _errors():
        report = _ingest_with_bar(assistant, paths or [assistant.settings.corpus_dir], prune)
    table = Table("file", "status", "clauses", "embedded", "note")
    # A file name is folded onto more lines rather than cut: the table must say which file.
    table.columns[0].overflow = "fold"
    table.columns[4].overflow = "fold"
    for f in report.files:
        style = {"failed": "red", "indexed": "green"}.get(f.status, "")
        table.add_row(f.path, f"[{style}]{f.status}[/{style}]" if style else f.status,
                      str(f.clauses), str(f.embedded), f.error or "")
    out = _console()
    out.print(table)
    out.print(f"{report.count('indexed')} indexed, {report.count('unchanged')} unchanged, "
              f"{report.count('failed')} failed, {report.count('removed')} removed "
              f"in {report.seconds:.1f} s; index: {assistant.store.location}", markup=False)
    failures = [f for f in report.files if f.status == "failed"]
    if failures:
        # One whole line per failed file, whatever the width: easy to read, copy and grep.
        sys.stderr.write("".join(f"failed: {f.path}: {' '.join((f.error or '').split())}\n"
                                 for f in failures))
        _fail(f"{len(failures)} of {len(report.files)} files failed", code=1)


@command()
def ask(
    question: str = typer.Argument(..., help="The question, e.g. “遂昌重点发展哪些未来产业？”"),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    k: int = typer.Option(None, "--k", min=1, max=50, help="Clauses to retrieve (default: settings top_k)."),
    doc: list[str] = typer.Option(None, "--doc", help="Only these document ids (repeatable)."),
    level: str = typer.Option(None, "--level", help="Only documents of this level: province, city, county."),
    status: str = typer.Option(None, "--status", help="Only documents with this status on the date: "
                               "in_force, expired, not_yet, draft, superseded, unknown (final: issued in final form)."),
    as_of: str = typer.Option(None, "--as-of", help="The date statuses are read on, YYYY-MM-DD (default: today)."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Also say how long answering took (on standard error)."),
) -> None:
    """Answer a question from the indexed documents, citing document and section."""
    from .types import Filters

    assistant = _assistant()
    with _errors():
        assistant.check_question(question)
        assistant.check_llm()
        _ingest_with_bar(assistant)
        filters = Filters(doc_ids=doc or None, level=level, status=status, as_of=as_of)
        assistant.check_filters(filters)
        answer = assistant.ask(question, k=k, filters=filters, as_of=as_of)
    if as_json:
        sys.stdout.write(json.dumps(answer.public(), ensure_ascii=False, indent=1) + "\n")
        return
    _say(answer.answer)
    if answer.citations or answer.retrieved:
        _say("")
    _print_sources(answer)
    _latency(answer, verbose)


def _latency(answer, verbose: bool) -> None:
    if verbose:
        sys.stderr.write(f"answered in {answer.latency_ms:.0f} ms\n")


@command()
def chat(
    k: int = typer.Option(None, "--k", min=1, max=50, help="Clauses to retrieve (default: settings top_k)."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Also say how long each answer took (on standard error)."),
) -> None:
    """Ask questions one per line (follow-ups use the conversation); an empty line or EOF ends.

    A follow-up is answered as a standalone question, shown before its answer (结合上文理解为：…).
    """
    from .index.embeddings import EmbeddingError
    from .index.store import StoreError
    from .service import QuestionError
    from .types import Answer, Understood

    assistant = _assistant()
    with _errors():
        assistant.check_llm()
        _ingest_with_bar(assistant)
    history: list[dict] = []
    interactive = sys.stdin.isatty()
    err = _console(stderr=True)
    while True:
        if interactive:
            err.print("[bold]问：[/bold]", end="")
        line = sys.stdin.readline()
        question = line.strip()
        if not question:
            break
        answer = None
        try:
            for item in assistant.ask_stream(question, k=k, history=history or None):
                if isinstance(item, Answer):
                    answer = item
                elif isinstance(item, Understood):
                    _say(str(item))  # before the answer: what the follow-up was taken to ask
                else:
                    sys.stdout.write(item)
                    sys.stdout.flush()
        except QuestionError as exc:
            err.print(f"[red]error:[/red] {exc}")
            continue
        except (EmbeddingError, StoreError) as exc:
            _fail(str(exc))
        if answer is None:  # pragma: no cover - ask_stream always ends with the answer
            continue
        sys.stdout.write("\n")
        if answer.notice:
            err.print(answer.notice, style="dim", markup=False, highlight=False)
        _print_sources(answer)
        _latency(answer, verbose)
        _say("")
        history += [{"role": "user", "content": question},
                    {"role": "assistant", "content": answer.answer}]


def _source_line(c) -> str:
    """A citation as a source line, with its document's status badge (【现行有效（…）】)."""
    return f"[{c.n}] {c.label}" + (f" 【{c.status_label}】" if c.status_label else "")


def _print_sources(answer) -> None:
    if answer.citations:
        _say(*(_source_line(c) for c in answer.citations))
    elif answer.retrieved:
        _say("可能相关：", *(f"- {r.clause.label}" for r in answer.retrieved[:3]))


@command()
def chunks(
    file: Path = typer.Argument(..., help="A txt, md, html, pdf or docx file."),
    as_json: bool = typer.Option(False, "--json", help="Print the document and its clauses as JSON."),
    text: bool = typer.Option(False, "--text", help="Print each clause's text under its line."),
) -> None:
    """Show how a file is cut into clauses, without indexing it."""
    from .language.text import book_title
    from .reading.parsing import ParseError
    from .reading.standing import public
    from .service import chunk_file
    from .types import today

    try:
        doc, clauses = chunk_file(file)
    except (ParseError, OSError) as exc:
        _fail(f"{file}: {exc}")
    meta = doc.meta
    if as_json:
        out = {
            "document": {"title": meta.title, "issuer": meta.issuer, "doc_number": meta.doc_number,
                         "date": meta.date, "status": meta.status, "level": meta.level,
                         "source": str(file), "validity": public(meta.validity, today())},
            "chunks": [c.model_dump(exclude={"meta"}) for c in clauses],
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
        return
    details = [meta.region, meta.issuer, meta.doc_number, meta.date, meta.status]
    _say(book_title(meta.title), "  " + " · ".join(d for d in details if d))
    for c in clauses:
        units = f"  责任单位：{'、'.join(c.responsible_units)}（牵头：{'、'.join(c.lead_units)}）" if c.responsible_units else ""
        _say(f"{c.ordinal:3d} {' > '.join(c.section_path)}  ({len(c.text)} 字){units}")
        if text:
            _say(*(f"      {line}" for line in c.text.split("\n")), "")


@command()
def docs(
    as_json: bool = typer.Option(False, "--json", help="Print the documents as JSON."),
    as_of: str = typer.Option(None, "--as-of", help="The date statuses are read on, YYYY-MM-DD (default: today)."),
    wide: bool = typer.Option(False, "--wide", help="One table row per document, every column "
                              "(for a wide terminal or a file)."),
) -> None:
    """List the indexed documents with their status on a date: the id (what --doc takes),
    then title and details.

    Each document takes three lines, readable at any width; --wide gives a table instead.
    """
    from .language.lexicon import STATUS_LABELS
    from .language.text import book_title

    assistant = _assistant()
    with _errors():
        day = assistant.check_as_of(as_of)
        _ingest_with_bar(assistant)
        documents = assistant.documents(day)
    if as_json:
        sys.stdout.write(json.dumps({"documents": documents, "as_of": day}, ensure_ascii=False, indent=1) + "\n")
        return
    if not wide:
        for d in documents:
            details = [d.get("region"), d.get("issuer"), d.get("doc_number"), d.get("date"),
                       d["status"], STATUS_LABELS[d["validity"]["status"]], f"{d['clauses']} clauses"]
            _say(d["doc_id"], f"  {book_title(d['title'])}", "  " + " · ".join(x for x in details if x))
        return
    # The ids, numbers and dates are never cut or broken: the title and issuer wrap instead.
    table = Table()
    # The status on the date in its four characters (现行有效) is never cut; --json has its dates.
    for heading in ("doc_id", "title", "issuer", "number", "date", "status", day, "region", "clauses"):
        keep = heading in ("doc_id", "number", "date", "status", day, "clauses")
        table.add_column(heading, no_wrap=keep, min_width=None if keep else 8)
    for d in documents:
        table.add_row(d["doc_id"], d["title"], d.get("issuer") or "", d.get("doc_number") or "",
                      d.get("date") or "", d["status"], STATUS_LABELS[d["validity"]["status"]],
                      d.get("region") or "", str(d["clauses"]))
    _console().print(table)


@command()
def measures(
    place: str = typer.Option(None, "--place", help="Only measures of documents of this place, e.g. 成都."),
    doc: list[str] = typer.Option(None, "--doc", help="Only these document ids (repeatable)."),
    kind: str = typer.Option(None, "--kind", help="Only measures whose kind holds this word, e.g. 奖励."),
    q: str = typer.Option(None, "--q", help="Only measures whose text holds these words."),
    min_yuan: float = typer.Option(None, "--min-yuan", help="Only measures granting at least this many yuan."),
    as_json: bool = typer.Option(False, "--json", help="Print the measures as JSON."),
    csv_file: Path = typer.Option(None, "--csv", help="Write the measures to this CSV file."),
    xlsx_file: Path = typer.Option(None, "--xlsx", help="Write the measures to this XLSX file."),
    profile: Path = typer.Option(None, "--profile", help="A company profile (JSON): group the measures "
                                 "as 条件可能满足 / 需核实 / 不适用."),
    as_of: str = typer.Option(None, "--as-of", help="The date statuses are read on, YYYY-MM-DD (default: today)."),
) -> None:
    """List the support measures the indexed documents grant (kind, beneficiary, amounts,
    conditions, units), each with its clause; measures of documents not in force are listed apart.

    A profile file holds {"place", "industries", "size", "revenue_yuan", "rd_spend_yuan",
    "rd_ratio", "certifications", "founded"} (every field optional).
    """
    from .answering import measure_table as mt

    filters = mt.MeasureFilters(place=place, doc_ids=doc or None, kind=kind, q=q, min_yuan=min_yuan)
    assistant = _assistant()
    with _errors():
        _ingest_with_bar(assistant)
        if profile is not None:
            matched = assistant.match_measures(_read_profile(profile), filters, as_of)
            _print_matched(matched, as_json)
            return
        found = assistant.measures(filters, as_of)
    if csv_file is not None:
        csv_file.write_text(mt.to_csv(found["measures"] + found["not_current"]), encoding="utf-8")
        sys.stderr.write(f"{found['count'] + found['not_current_count']} measures written to {csv_file}\n")
    if xlsx_file is not None:
        xlsx_file.write_bytes(mt.to_xlsx(found["measures"], found["not_current"]))
        sys.stderr.write(f"{found['count'] + found['not_current_count']} measures written to {xlsx_file}\n")
    if as_json:
        sys.stdout.write(json.dumps(found, ensure_ascii=False, indent=1) + "\n")
    elif csv_file is None and xlsx_file is None:
        _print_measures(found["measures"], f"扶持措施（{found['as_of']}，{found['count']}项）")
        if found["not_current"]:
            _print_measures(found["not_current"], f"出自已失效、已被替代或征求意见稿文件的措施（{found['not_current_count']}项）")


def _read_profile(path: Path):
    from pydantic import ValidationError

    from .answering.eligibility import CompanyProfile

    try:
        return CompanyProfile.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "the file"
        _fail(f"{path}: {where}: {first['msg']} (a profile is a JSON object such as "
              '{"place": "成都", "industries": ["人工智能"], "certifications": ["高新技术企业"]})')


def _print_measures(rows: list[dict], heading: str) -> None:
    from .answering.measure_table import NOT_STATED

    table = Table(title=heading, show_lines=True)
    for column in ("措施", "支持对象", "金额/比例", "条件", "责任单位", "出处"):
        table.add_column(column)
    for r in rows:
        figures = "、".join([a["text"] for a in r["amounts"]] + [x["text"] for x in r["rates"]]) or NOT_STATED
        table.add_row(r["kind"], r["beneficiary"] or NOT_STATED, figures, "；".join(r["conditions"]) or NOT_STATED,
                      "、".join(r["units"]) or NOT_STATED, f"{r['label']}【{r['status_label']}】")
    _console().print(table)


def _print_matched(matched: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(matched, ensure_ascii=False, indent=1) + "\n")
        return
    marks = {"met": "✓", "unknown": "?", "not_met": "✗"}
    console = _console()
    for group in matched["groups"]:
        console.print(f"\n{group['label']}（{group['count']}项）", style="bold", markup=False, highlight=False)
        for m in group["measures"]:
            figures = "、".join([a["text"] for a in m["amounts"]] + [x["text"] for x in m["rates"]])
            console.print(f"- {m['kind']} {figures}  {m['label']}", markup=False, highlight=False)
            for c in m["checks"]:
                console.print(f"    {marks[c['result']]} {c['condition']}：{c['reason']}", markup=False, highlight=False)


@command("eval")
def evaluate(
    gold: Path = typer.Argument(Path("evals/gold.jsonl"), help="Gold Q&A file (JSONL)."),
    out: Path = typer.Option(Path("evals/out"), "--out", help="Folder for report.json/.md/.png."),
    k: int = typer.Option(5, "--k", help="Top-k for recall@k and the citations shown."),
    compare: bool = typer.Option(False, "--compare", help="Also run the baselines side by side."),
    floors: Path = typer.Option(None, "--floors", help="JSON of metric floors; exit 1 if one is missed."),
    llm: bool = typer.Option(False, "--llm", help="Answer with the language model of ASSISTANT_LLM_* "
                             "and compare it with the extractive answers."),
    docs: Path = typer.Option(None, "--docs", help="Index these documents instead of the corpus "
                              "(a file, or a folder: the files its gold items name), in their own index."),
) -> None:
    """Score answers against gold Q&A: retrieval, citations, facts, refusals, latency.

    With a dev/test split in the gold, both are reported and the floors apply to test.
    """
    from . import evaluation as ev
    from .settings import Settings

    items = ev.load_gold(gold)
    base = Settings()
    paths = None
    if docs is not None:
        try:
            paths = ev.doc_paths(items, docs)
        except FileNotFoundError as exc:
            _fail(str(exc))
        # A separate index: the documents under test are not mixed into the corpus index.
        base = base.model_copy(update={"index_dir": out / "index", "corpus_dir": paths[0]})
    if llm and not base.llm_enabled:
        _fail("--llm needs ASSISTANT_LLM_PROVIDER (openai or ollama) and ASSISTANT_LLM_MODEL")
    offline = {"llm_provider": "none"}
    runs = {n: {**o, **offline} for n, o in ev.BASELINES.items()} if compare else {"full": offline}
    if llm:
        # The report is of the language-model answers; the extractive ones stand beside them.
        runs = {**{("extractive" if n == "full" else n): o for n, o in runs.items()}, "full": {}}
        compare = True
    results: dict[str, dict] = {}
    for name, overrides in runs.items():
        settings = base.model_copy(update=overrides)
        from .service import Assistant

        assistant = Assistant(settings)
        _ingest_with_bar(assistant, paths)
        with _progress() as bar:
            task = bar.add_task(f"eval {name}", total=len(items))
            def advance(done: int, total: int, task=task) -> None:
                bar.update(task, completed=done)

            result = ev.run_eval(assistant, items, k, progress=advance)
        result["config"] = ev.config_of(settings, k, assistant.store.model_id)
        results[name] = result
    report = results["full"]
    if compare:
        report["compare"] = {("llm" if llm and n == "full" else n): r["metrics"]["overall"]
                             for n, r in results.items()}
    ev.write_report(report, out)
    _say(ev.markdown_report(report), f"report: {out / 'report.json'}, {out / 'report.md'}, {out / 'report.png'}")
    if floors:
        where, measured = ev.floor_metrics(report)
        failures = ev.check_floors(measured, json.loads(floors.read_text()))
        if failures:
            sys.stderr.write("".join(f"below floor ({where}): {f}\n" for f in failures))
            raise typer.Exit(1)
        _say(f"all metrics ({where}) at or above their floors")


@command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the HTTP API and the chat web UI (open http://HOST:PORT/ in a browser).

    Set ASSISTANT_API_KEY to require 'Authorization: Bearer <key>' on the API, and
    ASSISTANT_CORS_ORIGINS (comma-separated) to let other sites call it.
    """
    import logging

    import uvicorn

    from .api import create_app

    assistant = _assistant()
    # Checked before the server starts: a misconfiguration is one line here, not a traceback
    # in the server log and a server that never gets ready.
    with _errors():
        assistant.check_llm()
        _ingest_with_bar(assistant)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.stderr.write(f"serving on http://{host}:{port}/ (API docs: /docs and /redoc)\n")
    # One process: the index and the models are loaded once and shared by every request.
    uvicorn.run(create_app(assistant), host=host, port=port, log_level="info",
                timeout_graceful_shutdown=5)


@command()
def slack(
    http: bool = typer.Option(False, "--http", help="Receive Slack requests over HTTP at /slack/events instead of Socket Mode."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on in HTTP mode."),
    port: int = typer.Option(3000, "--port", help="Port to listen on in HTTP mode."),
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP (/slack/events).

    SLACK_BOT_TOKEN is required; HTTP mode also needs SLACK_SIGNING_SECRET.
    """
    from .slack import SlackConfigError, run

    try:
        with _errors():
            run(http=http, port=port, host=host)
    except SlackConfigError as exc:
        _fail(str(exc))


if __name__ == "__main__":  # pragma: no cover
    app()
