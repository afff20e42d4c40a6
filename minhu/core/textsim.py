"""Similarity of short Chinese texts (appeals, problems) without a segmenter or a model.

Texts are normalised (full-width → half-width, lower case, punctuation and common filler removed) and cut into
character bigrams; similarity is the cosine of their TF-IDF vectors, where the IDF comes from the corpus being
compared against (so words every appeal uses, like 小区 or 反映, weigh little). Character bigrams work well
for Chinese, where most words are two characters, and need no dictionary: new place names and slang still
match.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Words that say nothing about the matter itself.
_FILLER = [
    "你好", "您好", "请问", "麻烦", "希望", "尽快", "解决", "处理", "反映", "投诉", "问题", "一下", "谢谢",
    "我们", "我家", "这个", "那个", "有人", "一直", "现在", "已经", "还是", "非常", "严重", "情况", "相关",
]  # fmt: skip
_FILLER_RE = re.compile("|".join(_FILLER))
# Chosen on the labelled set in minhu/core/tests/test_textsim.py: at 0.10 precision 1.00, recall 0.69;
# lower thresholds trade precision for recall (0.06: 0.84 / 0.81).
SUGGEST_THRESHOLD = 0.10
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _FILLER_RE.sub(" ", text)
    return _NOISE.sub(" ", text).strip()


def bigrams(text: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for chunk in normalise(text).split():
        if len(chunk) == 1:
            grams[chunk] += 1
        grams.update(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return grams


@dataclass(frozen=True)
class Match:
    index: int
    score: float


class Corpus:
    """The texts to compare a new one against (e.g. the open appeals and problems of an area)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.docs = [bigrams(t) for t in texts]
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs) + 1
        self.idf = {g: math.log(n / (1 + c)) + 1 for g, c in df.items()}
        self.default_idf = math.log(n) + 1
        self.vectors = [self._weigh(d) for d in self.docs]

    def _weigh(self, grams: Counter[str]) -> dict[str, float]:
        vec = {g: c * self.idf.get(g, self.default_idf) for g, c in grams.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def score(self, text: str, index: int) -> float:
        query = self._weigh(bigrams(text))
        vec = self.vectors[index]
        return round(sum(w * vec.get(g, 0.0) for g, w in query.items()), 4)

    def similar(self, text: str, *, threshold: float = SUGGEST_THRESHOLD, limit: int = 5) -> list[Match]:
        """The most similar texts, best first, scoring at least `threshold` (0–1)."""
        query = self._weigh(bigrams(text))
        scored = [
            Match(i, round(sum(w * vec.get(g, 0.0) for g, w in query.items()), 4))
            for i, vec in enumerate(self.vectors)
        ]
        hits = [m for m in scored if m.score >= threshold]
        return sorted(hits, key=lambda m: -m.score)[:limit]


def similarity(a: str, b: str, corpus: Iterable[str] = ()) -> float:
    """Cosine similarity (0–1) of two texts, weighting bigrams by their IDF in `corpus` plus `b`."""
    c = Corpus([*corpus, b])
    return c.score(a, len(c.docs) - 1)
