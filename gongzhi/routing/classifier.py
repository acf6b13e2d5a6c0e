"""The triage classifier: TF-IDF over character n-grams and dictionary words (title and body as separate blocks)
and, per head — category, handling unit, level — one linear support-vector machine per label on features scaled by
that label's naive-Bayes log-count ratios (NBSVM, Wang & Manning 2012), with temperature-calibrated softmax
confidences and top-k suggestions. Pure: no Django import; numpy at prediction, scikit-learn and scipy only
when training.

Why this and not a bigger model: a district has a few thousand labelled cases, runs on one machine without a GPU or
network, and submits cases on a hot path (``cases.services.submit``). Predicting is a dictionary lookup per feature
and one small matrix gather — a fraction of a millisecond for a typical request — and training on 10,000 messages is
seconds. The model is one ``bytes`` blob (``to_bytes``/``from_bytes``) so it can live in the database and be versioned
and rolled back there (``routing.models.TriageModel``).

Features (four blocks, each L2-normalised on its own so a long body does not drown the title):
title character 1–3-grams, body character 1–3-grams (first ``max_chars``), title words, body words (rjieba with the
domain dictionary in ``text.DOMAIN_WORDS``); sub-linear tf (1 + log tf) × smoothed idf.

NBSVM: for label k, r_k = log((α + presence counts in k, normalised) / (α + presence counts elsewhere, normalised));
the SVM for k sees x ⊙ r_k, L2-normalised again. Stored folded: weights r_k ⊙ w_k and r_k², so a score is
(x · (r_k ⊙ w_k)) / √(x² · r_k²) + b_k — two gathers of the message's feature rows. On the public city messages it
lifts 5-fold macro-F1 from 0.8945 to 0.9031 over the plain SVM with the same settings (routing/README.md).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from gongzhi.routing.text import ngrams, words

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
WeightArray = npt.NDArray[np.floating[Any]]  # float32 as trained, float16 once loaded or stacked
# Weights, biases, temperatures' inverses, r² and each head's columns, for all the heads at once.
Stacked = tuple[WeightArray, FloatArray, FloatArray, WeightArray | None, list[tuple[str, "Head", int, int]]]

FORMAT: Final = 3
LEGACY_FORMATS: Final = (1, 2)  # read (for rollback to an old version), never written; 2 has no NB ratios
TITLE_PREFIX: Final = "\x01"  # title n-grams are features of their own: a title says what the request is about
TITLE_WORD_PREFIX: Final = "\x02"
BODY_WORD_PREFIX: Final = "\x03"


@dataclass(frozen=True)
class Options:
    """Training options: fixed, sensible settings (not searched on the evaluation folds; routing/README.md)."""

    orders: tuple[int, ...] = (1, 2, 3)
    title_orders: tuple[int, ...] = (1, 2, 3)
    max_chars: int = 1000  # long letters repeat themselves; the head of the text carries the request
    min_df: int = 2  # of body features; title features are kept from one occurrence (titles are short)
    max_features: int = 400_000
    words: bool = True  # dictionary-word blocks beside the character n-grams
    blocks: bool = True  # normalise title/body/words blocks apart (False: format 1, one vector for everything)
    c: float = 0.5  # the SVM's inverse regularisation (scikit-learn's default is 1.0; TF-IDF text likes ≤ 1)
    nb: bool = True  # scale features by each label's naive-Bayes log-count ratios (NBSVM); False: one plain SVM
    nb_alpha: float = 1.0  # the ratios' additive smoothing (Wang & Manning's default)
    balanced: bool = True  # weight classes inversely to their frequency: macro-F1 counts every class the same
    calibrate: bool = True  # fit a softmax temperature on a held-out tenth
    temperature: float = 1.0  # used when not calibrating
    seed: int = 7


@dataclass(frozen=True)
class Sample:
    title: str
    body: str
    labels: Mapping[str, str]  # head name -> label, e.g. {"category": "utilities.streetlight"}


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]


@dataclass
class Head:
    labels: tuple[str, ...]
    weights: WeightArray  # (features, classes); with NB ratios: r ⊙ w
    bias: FloatArray  # (classes,)
    temperature: float = 1.0
    ratio_sq: WeightArray | None = None  # (features, classes): r², each label's per-message norm (None: plain SVM)


@dataclass
class Model:
    options: Options
    vocabulary: dict[str, int]
    idf: FloatArray
    heads: dict[str, Head]
    meta: dict[str, Any] = field(default_factory=dict)
    _stacked: Stacked | None = field(default=None, repr=False)
    _idf: list[float] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------------------------------------ features

    def features(self, title: str, body: str) -> tuple[IntArray, FloatArray]:
        if self._idf is None:  # the idf as Python floats: no numpy scalar per feature (and no second dictionary)
            self._idf = self.idf.tolist()
        cols: list[int] = []
        vals: list[float] = []
        for counts in _grams(self.options, title, body):
            c, v = _weigh(self.vocabulary, self._idf, counts)
            cols += c
            vals += v
        return np.array(cols, dtype=np.int32), np.array(vals, dtype=np.float32)

    def _stack(self) -> Stacked:
        """Every head's weights, biases and temperatures side by side: one gather, one product and one exp serve all
        the heads.

        The weight and ratio matrices are held once, in float16 (what a stored model keeps anyway): each head's
        arrays become views of the stacked ones. A district's catalogue has ~100 labels over ~10⁵ features, so this
        is the model's memory: a quarter of float32 matrices kept twice. The rows a message gathers are widened to
        float32 for the product."""
        if self._stacked is None:
            spans, start = [], 0
            for name, head in self.heads.items():
                spans.append((name, head, start, start + len(head.labels)))
                start += len(head.labels)
            heads = list(self.heads.values())
            weights = np.hstack([h.weights.astype(np.float16, copy=False) for h in heads])
            bias = np.concatenate([h.bias for h in heads]).astype(np.float32)
            scale = np.concatenate([np.full(len(h.labels), 1.0 / h.temperature) for h in heads]).astype(np.float32)
            ratio_sq = None
            if any(h.ratio_sq is not None for h in heads):  # a plain head's zeros leave its scores as they are
                ratio_sq = np.hstack(
                    [
                        (h.ratio_sq if h.ratio_sq is not None else np.zeros(h.weights.shape)).astype(
                            np.float16, copy=False
                        )
                        for h in heads
                    ]
                )
            for _name, head, lo, hi in spans:
                head.weights = weights[:, lo:hi]
                if head.ratio_sq is not None:
                    assert ratio_sq is not None
                    head.ratio_sq = ratio_sq[:, lo:hi]
            self._stacked = (weights, bias, scale, ratio_sq, spans)
        return self._stacked

    def predict(self, title: str, body: str = "", *, k: int = 3) -> dict[str, Prediction]:
        """Every head's best label, its calibrated probability and the top ``k``."""
        index, value = self.features(title, body)
        weights, bias, scale, ratio_sq, spans = self._stack()
        if len(index):
            scores: FloatArray = value @ weights[index].astype(np.float32)
            if ratio_sq is not None:
                norms: FloatArray = np.sqrt((value * value) @ ratio_sq[index].astype(np.float32))
                norms[norms == 0] = 1.0  # no feature with a ratio (or a plain head's zero columns): as it is
                scores = scores / norms
            scores = (scores + bias) * scale
        else:
            scores = bias * scale
        found = {}
        for name, head, lo, hi in spans:
            part = scores[lo:hi]
            exps = np.exp(part - part.max())
            probs = exps / exps.sum()
            order = np.argsort(-probs)[: max(k, 1)].tolist() if hi - lo > 1 else [0]
            listed = probs.tolist()
            top = tuple((head.labels[i], round(listed[i], 4)) for i in order)
            found[name] = Prediction(label=top[0][0], confidence=top[0][1], top=top)
        return found

    # ---------------------------------------------------------------------------------------------- persistence

    def to_bytes(self) -> bytes:
        vocab = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        header = {
            "format": FORMAT,
            "options": {
                **dataclasses.asdict(self.options),
                "orders": list(self.options.orders),
                "title_orders": list(self.options.title_orders),
            },
            "heads": {name: {"labels": list(h.labels), "temperature": h.temperature} for name, h in self.heads.items()},
            "meta": self.meta,
            "vocabulary": vocab,
        }
        arrays: dict[str, Any] = {"idf": self.idf}
        for name, head in self.heads.items():
            # float16 halves the blob; the weights' precision matters far less than their sign and rank.
            arrays[f"w_{name}"] = head.weights.astype(np.float16)
            arrays[f"b_{name}"] = head.bias
            if head.ratio_sq is not None:
                arrays[f"r_{name}"] = head.ratio_sq.astype(np.float16)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), dtype=np.uint8), **arrays
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Model:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            version = header.get("format")
            if version != FORMAT and version not in LEGACY_FORMATS:
                raise ValueError(f"unknown model format {version!r}")
            raw = dict(header["options"])
            if version == 1:  # one vector for title n-grams and the text, no words
                raw.update(words=False, blocks=False, title_orders=raw.get("title_orders", [1, 2]))
            if version in (1, 2):  # one plain SVM per head, no NB ratios
                raw["nb"] = False
            known = {f.name for f in dataclasses.fields(Options)}
            raw = {key: value for key, value in raw.items() if key in known}
            options = Options(**{**raw, "orders": tuple(raw["orders"]), "title_orders": tuple(raw["title_orders"])})
            heads = {
                name: Head(
                    labels=tuple(spec["labels"]),
                    weights=data[f"w_{name}"],  # float16 as stored (formats 1 and 2 too); widened per message
                    bias=data[f"b_{name}"].astype(np.float32),
                    temperature=float(spec["temperature"]),
                    ratio_sq=data[f"r_{name}"] if f"r_{name}" in data.files else None,
                )
                for name, spec in header["heads"].items()
            }
            vocabulary = {word: i for i, word in enumerate(header["vocabulary"])}
            return cls(options, vocabulary, data["idf"].astype(np.float32), heads, header.get("meta", {}))


# ------------------------------------------------------------------------------------------------------ features


def _grams(options: Options, title: str, body: str) -> list[Counter[str]]:
    """The feature counts of one message, block by block (one block when ``blocks`` is off)."""
    if not options.blocks:  # format 1
        counts: Counter[str] = Counter(ngrams(title, orders=options.title_orders, prefix=TITLE_PREFIX))
        text = f"{title}。{body}" if body else title
        counts.update(ngrams(text[: options.max_chars], orders=options.orders))
        return [counts]
    body = body[: options.max_chars]
    found = [
        Counter(ngrams(title, orders=options.title_orders, prefix=TITLE_PREFIX)),
        Counter(ngrams(body, orders=options.orders)),
    ]
    if options.words:
        found.append(Counter(words(title, prefix=TITLE_WORD_PREFIX)) if title else Counter())
        found.append(Counter(words(body, prefix=BODY_WORD_PREFIX)) if body else Counter())
    return found


def _block_values(
    vocabulary: Mapping[str, int], idf: FloatArray, counts: Counter[str]
) -> tuple[list[int], list[float]]:
    """Sub-linear TF × IDF of one block's known features, L2-normalised."""
    get = vocabulary.get
    cols: list[int] = []
    vals: list[float] = []
    for gram, count in counts.items():
        i = get(gram)
        if i is not None:
            cols.append(i)
            vals.append((1.0 + math.log(count)) * float(idf[i]))
    norm = math.sqrt(math.fsum(v * v for v in vals))
    if norm:
        vals = [v / norm for v in vals]
    return cols, vals


def _weigh(vocabulary: Mapping[str, int], idf: Sequence[float], counts: Counter[str]) -> tuple[list[int], list[float]]:
    """``_block_values`` at prediction time, with the idf as a list of Python floats."""
    get = vocabulary.get
    cols: list[int] = []
    vals: list[float] = []
    log = math.log
    for gram, count in counts.items():
        i = get(gram)
        if i is not None:
            cols.append(i)
            vals.append(idf[i] if count == 1 else (1.0 + log(count)) * idf[i])
    if vals:
        norm = math.sqrt(math.fsum(v * v for v in vals))
        vals = [v / norm for v in vals]
    return cols, vals


def _softmax(scores: FloatArray) -> FloatArray:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    result: FloatArray = (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32, copy=False)
    return result


def _fit_vocabulary(options: Options, grams: Sequence[list[Counter[str]]]) -> tuple[dict[str, int], FloatArray]:
    df: Counter[str] = Counter()
    for blocks in grams:
        for counts in blocks:
            df.update(counts.keys())
    # Title features count from one occurrence (a title is a few characters); the rest need ``min_df`` documents.
    kept = [
        (n, g)
        for g, n in df.items()
        if n >= options.min_df or (options.blocks and g[:1] in (TITLE_PREFIX, TITLE_WORD_PREFIX))
    ]
    kept.sort(key=lambda item: (-item[0], item[1]))
    kept = kept[: options.max_features]
    vocabulary = {g: i for i, (_n, g) in enumerate(kept)}
    docs = len(grams)
    idf = np.array([math.log((1 + docs) / (1 + n)) + 1.0 for n, _g in kept], dtype=np.float32)
    return vocabulary, idf


def _matrix(vocabulary: Mapping[str, int], idf: FloatArray, grams: Sequence[list[Counter[str]]]) -> Any:
    """The samples' feature vectors as a scipy CSR matrix (training only)."""
    from scipy import sparse

    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for blocks in grams:
        for counts in blocks:
            c, v = _block_values(vocabulary, idf, counts)
            indices += c
            data += v
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
        shape=(len(grams), len(vocabulary)),
    )


def _train_head(matrix: Any, y: IntArray, classes: int, options: Options) -> Head:
    """Linear SVMs (liblinear through scikit-learn), squared hinge loss, L2: one per label on NB-scaled features
    (``options.nb``), else one one-vs-rest machine on the features as they are."""
    features = matrix.shape[1]
    if classes == 1:
        return Head(labels=(), weights=np.zeros((features, 1), dtype=np.float32), bias=np.zeros(1, dtype=np.float32))
    if options.nb:
        return _train_nb_head(matrix, y, classes, options)
    from sklearn.svm import LinearSVC

    svm = LinearSVC(C=options.c, class_weight="balanced" if options.balanced else None, random_state=options.seed)
    svm.fit(matrix, y)
    coef = np.asarray(svm.coef_, dtype=np.float32)
    bias = np.asarray(svm.intercept_, dtype=np.float32)
    present = np.asarray(svm.classes_, dtype=np.int64)  # a calibration probe may not see every label
    if len(present) == 2:  # one score s for the second class: softmax over (-s/2, s/2) is the logistic of s
        coef = np.vstack([-coef / 2, coef / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
    full = np.zeros((features, classes), dtype=np.float32)
    full[:, present] = coef.T
    full_bias = np.full(classes, -10.0, dtype=np.float32)  # a label absent from the probe's rows: never its pick
    full_bias[present] = bias
    return Head(labels=(), weights=full, bias=full_bias)


def _nb_ratios(inside: Any, total: Any, alpha: float) -> FloatArray:
    """r = log((α + p) / ‖α + p‖₁ ÷ (α + q) / ‖α + q‖₁), p and q the features' presence counts in and out of the
    label (``inside`` = p, ``total`` = p + q)."""
    p = alpha + inside
    q = alpha + (total - inside)
    ratios: FloatArray = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
    return ratios


def _train_nb_head(matrix: Any, y: IntArray, classes: int, options: Options) -> Head:
    from scipy import sparse
    from sklearn.preprocessing import normalize
    from sklearn.svm import LinearSVC

    features = matrix.shape[1]
    weights = np.zeros((features, classes), dtype=np.float32)
    ratio_sq = np.zeros((features, classes), dtype=np.float32)
    bias = np.full(classes, -10.0, dtype=np.float32)  # a label absent from the probe's rows: never its pick
    present = sorted(set(y.tolist()))
    # Two labels: one machine, the other label's score its negation (its ratios are the first one's, negated).
    trained = present[1:] if len(present) == 2 else present
    presence = matrix.copy()
    presence.data[:] = 1.0
    rows = len(y)
    # Presence counts per label in one product: (labels × rows) one-hot times (rows × features).
    by_label = sparse.csr_matrix((np.ones(rows), (y, np.arange(rows))), shape=(classes, rows)) @ presence
    total = np.asarray(presence.sum(axis=0), dtype=np.float64).ravel()
    for label in trained:
        inside = np.asarray(by_label[label].toarray(), dtype=np.float64).ravel()
        r = _nb_ratios(inside, total, options.nb_alpha)
        scaled = normalize(matrix @ sparse.diags(r))
        svm = LinearSVC(C=options.c, class_weight="balanced" if options.balanced else None, random_state=options.seed)
        svm.fit(scaled, (y == label).astype(np.int32))
        weights[:, label] = r * np.asarray(svm.coef_, dtype=np.float32).ravel()
        ratio_sq[:, label] = r * r
        bias[label] = float(svm.intercept_[0])
    if len(present) == 2:  # softmax over (-s/2, s/2) is the logistic of s, as for the plain machine
        other, label = present
        weights[:, label] /= 2
        bias[label] /= 2
        weights[:, other] = -weights[:, label]
        ratio_sq[:, other] = ratio_sq[:, label]
        bias[other] = -bias[label]
    return Head(labels=(), weights=weights, bias=bias, ratio_sq=ratio_sq)


def _scores(matrix: Any, head: Head) -> FloatArray:
    """Every row's raw score for every label (what ``Model.predict`` computes for one message)."""
    scores = np.asarray(matrix @ head.weights, dtype=np.float32)
    if head.ratio_sq is not None:
        norms = np.sqrt(np.asarray(matrix.multiply(matrix) @ head.ratio_sq, dtype=np.float32))
        norms[norms == 0] = 1.0
        scores = scores / norms
    result: FloatArray = (scores + head.bias).astype(np.float32, copy=False)
    return result


def _temperature(matrix: Any, head: Head, y: IntArray) -> float:
    """The softmax temperature that minimises the held-out negative log-likelihood (Guo et al. 2017)."""
    scores = _scores(matrix, head)
    best, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.02), math.log(5.0), 80)):
        probs = _softmax(scores / t)
        nll = -float(np.mean(np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12))))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def train(samples: Sequence[Sample], *, heads: Iterable[str] = ("category",), options: Options | None = None) -> Model:
    """Learn one model with the given heads; every sample must carry a label for every head."""
    options = options or Options()
    heads = tuple(heads)
    if not samples:
        raise ValueError("no samples to train on")
    for name in heads:
        missing = sum(1 for s in samples if not s.labels.get(name))
        if missing:
            raise ValueError(f"{missing} samples have no {name!r} label")
    began = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    order = rng.permutation(len(samples))
    shuffled = [samples[int(i)] for i in order]
    grams = [_grams(options, s.title, s.body) for s in shuffled]
    vocabulary, idf = _fit_vocabulary(options, grams)
    matrix = _matrix(vocabulary, idf, grams)
    trained: dict[str, Head] = {}
    for name in heads:
        labels = tuple(sorted({s.labels[name] for s in shuffled}))
        lookup = {label: i for i, label in enumerate(labels)}
        y = np.array([lookup[s.labels[name]] for s in shuffled], dtype=np.int32)
        temperature = options.temperature
        cut = max(len(shuffled) // 10, 1)
        if options.calibrate and len(shuffled) >= 50 and len(labels) > 1 and len(set(y[cut:].tolist())) > 1:
            # A probe trained on nine tenths scores the held-out tenth; the temperature that fits those scores best
            # is the final model's (trained on everything, so its margins are a little larger: slightly cautious).
            probe = _train_head(matrix[cut:], y[cut:], len(labels), options)
            temperature = _temperature(matrix[:cut], probe, y[:cut])
        head = _train_head(matrix, y, len(labels), options)
        trained[name] = dataclasses.replace(head, labels=labels, temperature=temperature)
    meta = {"samples": len(samples), "features": len(vocabulary), "train_seconds": time.perf_counter() - began}
    return Model(options, vocabulary, idf, trained, meta)
