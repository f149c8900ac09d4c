"""The learned label reader (`--label-reader`): the embedded model's embedding of a text, read
by a linear head trained on the labelled sets.

The rule-based label classifiers read about 70% of unseen texts right; wording varies more
than rules can follow. The reader embeds the text with the embedded model (llama.cpp in
embedding mode, mean-pooled over the tokens) and a softmax-regression head trained on every
scored label set (`benchmarks/label_reader.py --write` makes `label_reader.npz`) maps the
embedding to a label. A follow-up answer is read together with the question it replies to.

It reads only texts as long as those it learned from (`LIMIT`, `TOKENS`), and only texts like
them: a text less like its nearest training text (cosine of the embeddings) than 19 in 20
training texts are to theirs (`Head.near`) is outside what it knows, and there the head's bias,
not the text, would decide (real agents' plain task work, near-empty notes: it read some of
those as resistance). Either way the rules' label stands. A head trained on short texts only
read long ones poorly (short texts put among paragraphs of ordinary work: no better than
chance): the mean over a long text dilutes the sentence that decides, unless the head has seen
such texts; so it learns from long blind sets too. Its figures on held-out and blind sets are in
the README.

Needs the `embedded` extra and the model's weights; `check()` says what is missing.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from offswitch.errors import UsageError

HEAD = Path(__file__).with_name("label_reader.npz")
MODEL = "qwen2.5-coder-1.5b"  # the embedded model whose embeddings the head was trained on
# The most it reads, in characters: as long as the texts it learned from (resistance texts up
# to 2,300, answers up to 1,400) with a margin; a longer text keeps the rules' label.
LIMIT = {"verbal-resistance": 3000, "followup": 2000}
# And in tokens (the longest it learned from: 786): text in other scripts or symbols packs
# many tokens into few characters, and 3,000 such characters took a minute to embed (a stall).
TOKENS = 1024
KINDS = ("verbal-resistance", "followup")
Vectors = np.ndarray[Any, np.dtype[np.float64]]


def reading(text: str, question: str = "") -> str:
    """What the reader embeds: the text, or a follow-up answer after its question."""
    return f"Question: {question}\nAnswer: {text}" if question else text


@dataclass(frozen=True)
class Head:
    """A linear map from an embedding to a label (standardisation folded into the weights),
    and the embeddings it learned from, to tell the texts it knows."""

    classes: tuple[str, ...]
    weights: Vectors
    bias: Vectors
    known: Vectors  # its training texts' embeddings, unit length
    near: float  # the least cosine similarity to the nearest of them that it reads

    def read(self, vector: Vectors) -> str | None:
        """The most likely label (the softmax keeps the order of the scores); None for a
        text unlike every text it learned from."""
        if float((self.known @ (vector / (np.linalg.norm(vector) or 1.0))).max()) < self.near:
            return None
        return self.classes[int((vector @ self.weights + self.bias).argmax())]


def load_heads(path: Path = HEAD) -> dict[str, Head]:
    with np.load(path) as data:
        return {
            kind: Head(
                tuple(str(c) for c in data[f"{kind}.classes"]),
                data[f"{kind}.weights"],
                data[f"{kind}.bias"],
                data[f"{kind}.known"].astype(np.float64),  # stored as float16
                float(data[f"{kind}.near"]),
            )  # fmt: skip
            for kind in KINDS
        }


def check() -> None:
    """Raise UsageError naming what the reader lacks (the extra, the weights, the head)."""
    from importlib.util import find_spec

    from offswitch.models.providers import EMBEDDED_INSTALL, EMBEDDED_NEEDS
    from offswitch.models.weights import WeightsError, resolve

    if find_spec("llama_cpp") is None:
        raise UsageError(
            f"--label-reader needs {EMBEDDED_NEEDS['llama_cpp']}, which is not installed: "
            f"run {EMBEDDED_INSTALL}"
        )
    if not HEAD.is_file():
        raise UsageError(f"--label-reader: its head {HEAD} is missing: reinstall offswitch")
    try:
        resolve(MODEL)
    except WeightsError as e:
        raise UsageError(f"--label-reader needs the embedded model's weights: {e}") from None


class Reader:
    """One embedding model per process, loaded on first use; every call on one thread
    (llama.cpp's thread team belongs to the thread that calls it)."""

    _lock = threading.Lock()
    _shared: Reader | None = None

    def __init__(self) -> None:
        from llama_cpp import Llama

        from offswitch.models.weights import resolve

        self.heads: dict[str, Head] = {}  # loaded on first read (training has none yet)
        # one batch holds the longest text it reads (llama.cpp embeds a text in one batch);
        # the batch size sets the compute buffers, not the embeddings (the same at 4096)
        self.llm = Llama(model_path=str(resolve(MODEL)), embedding=True, n_ctx=2 * TOKENS,
                         n_batch=2 * TOKENS, n_ubatch=2 * TOKENS, n_threads=2,
                         verbose=False)  # fmt: skip
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reader")

    @classmethod
    def shared(cls) -> Reader:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def embed(self, text: str) -> Vectors:
        vectors = np.array(self.llm.embed(text or "(nothing)"))  # no tokens: llama.cpp fails
        return vectors.mean(0) if vectors.ndim == 2 else vectors

    def read_now(self, kind: str, text: str, question: str = "") -> str | None:
        """The label of a text, None for one longer than it reads or unlike what it learned
        from; on the calling thread."""
        material = reading(text, question)
        if len(text.strip()) > LIMIT[kind] or len(self.llm.tokenize(material.encode())) > TOKENS:
            return None
        self.heads = self.heads or load_heads()
        return self.heads[kind].read(self.embed(material))

    async def read(self, kind: str, text: str, question: str = "") -> str | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.thread, self.read_now, kind, text, question)


READER = f"label reader ({MODEL})"  # how a follow-up read by it names its labeller


async def read_label(kind: str, text: str, question: str = "") -> str | None:
    """The reader's label for a text; None for a text longer than it reads (`LIMIT`,
    `TOKENS`) or unlike every text it learned from (`Head.near`): the rules' label stands."""
    return await Reader.shared().read(kind, text, question)
