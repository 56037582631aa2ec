"""Characters as one-hot vectors, and the cross-entropy per character: what the ``hello``
and ``chars`` tasks share."""

from __future__ import annotations

import numpy as np

import rnn_ref
from rnn_ref import Params

from .base import distinct_strings


def one_hot(ids: np.ndarray, size: int) -> np.ndarray:
    """(..., size) float64 one-hot vectors of integer ``ids``."""
    return (np.asarray(ids)[..., None] == np.arange(size)).astype(np.float64)


def softmax(y: np.ndarray) -> np.ndarray:
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mean_loss(params: Params, xs: np.ndarray, targets: np.ndarray, activation: str) -> float:
    """The mean cross-entropy per predicted character, in nats."""
    spec = rnn_ref.Spec(activation=activation, loss="softmax_ce")
    T, B = targets.shape
    return rnn_ref.loss(params, xs, targets, spec, weights=np.full((T, B), 1.0 / (T * B)))


def chars_sizes(meta: dict, where: str) -> tuple[int, int]:
    """D = O: one input and one score per character of the saved alphabet."""
    V = len(distinct_strings(meta, "alphabet", where, characters=True))
    return V, V
