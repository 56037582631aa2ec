"""The frozen containers of the public API: Params, Spec, Problem, Trajectory, Gradients.

They hold values and check nothing about arrays: arrays are validated when a function
is called, so that an error names the argument of that call (``params.W_hh``, ``xs``).
``Spec`` is the exception: it holds only names and an integer, and checks them when it
is built (docs/contract.md §5).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")
TRUNCATION_MODES = ("window", "chunk")


def truncation_label(
    truncation: int | None, mode: str = "window", *, full: str = "full BPTT"
) -> str:
    """The name of a truncation in every line we print: ``full BPTT``, ``window(k)``, ``chunk(k)``.

    Args:
        truncation: ``None`` for full BPTT, or k. mode: ``"window"`` or ``"chunk"``.
        full: the name of full BPTT, shorter (``"full"``) where the line already speaks of
            BPTT (``rnn-ref explain``, the checker's case lines).
    """
    return full if truncation is None else f"{mode}({truncation})"


# eq=False: the default __eq__ would compare arrays with ``==`` and raise
# "truth value of an array is ambiguous"; identity comparison is the honest default.
@dataclass(frozen=True, eq=False)
class Params:
    """The parameters of the Elman RNN, float64 arrays.

    $$a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h, \\quad h_t = \\phi(a_t), \\quad
    y_t = W_{hy} h_t + b_y$$

    Attributes:
        W_xh: (H, D) input to hidden.
        W_hh: (H, H) hidden to hidden, the recurrent matrix.
        b_h: (H,) hidden bias.
        W_hy: (O, H) hidden to output.
        b_y: (O,) output bias.
    """

    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray

    FIELDS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")

    @property
    def input_size(self) -> int:
        """D, the number of inputs."""
        return int(np.shape(self.W_xh)[-1])

    @property
    def hidden_size(self) -> int:
        """H, the number of hidden units."""
        return int(np.shape(self.W_hh)[0])

    @property
    def output_size(self) -> int:
        """O, the number of outputs."""
        return int(np.shape(self.W_hy)[0])

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The five arrays in the order of ``Params.FIELDS``."""
        return tuple(getattr(self, name) for name in self.FIELDS)


@dataclass(frozen=True)
class Spec:
    """What to compute: activation, loss and truncation (docs/contract.md §2, §3).

    Attributes:
        activation: ``"tanh"``, ``"sigmoid"`` or ``"relu"``.
        loss: ``"mse"`` or ``"softmax_ce"``.
        truncation: ``None`` for full BPTT, or an integer k >= 1.
        truncation_mode: ``"window"`` (every loss term sees its k most recent
            transitions) or ``"chunk"`` (the time axis is cut into chunks of k).

    Raises:
        ValueError: an unknown name, or k < 1.
        TypeError: a name that is not a string, or k that is not an integer.
    """

    activation: str = "tanh"
    loss: str = "mse"
    truncation: int | None = None
    truncation_mode: str = "window"

    def __post_init__(self) -> None:
        _check_name("spec.activation", self.activation, ACTIVATIONS)
        _check_name("spec.loss", self.loss, LOSSES)
        _check_name("spec.truncation_mode", self.truncation_mode, TRUNCATION_MODES)
        k = self.truncation
        if k is None:
            return
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise TypeError(
                "spec.truncation: expected None or an integer k >= 1, "
                f"got {k!r} of type {type(k).__name__}"
            )
        if k < 1:
            raise ValueError(f"spec.truncation: expected None or an integer k >= 1, got {k}")
        # Normalise a NumPy integer to a Python int so that specs print and hash alike.
        object.__setattr__(self, "truncation", int(k))


def _check_name(where: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise TypeError(
            f"{where}: expected one of {', '.join(map(repr, allowed))}, "
            f"got {value!r} of type {type(value).__name__}"
        )
    if value not in allowed:
        raise ValueError(f"{where}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")


@dataclass(frozen=True, eq=False)
class Problem:
    """One problem: the arguments of one call of ``rnn_ref.gradients``, and optionally what
    it must return. Every case in rnn-ref is one (a case file, a golden vector, a checker's
    case, a property test's example), extended where a use needs more.

    Attributes:
        params: the parameters (``Params``).
        xs: (T, B, D) inputs.
        targets: (T, B, O) floats for mse, (T, B) integer class ids for softmax_ce.
        spec: activation, loss and truncation.
        h0: (B, H) initial state, or ``None`` for zeros (a case file always holds it).
        weights: (T, B) loss weights, or ``None`` for ones (a case file always holds them).
        comment: free text: where the case comes from, what it shows.
        expected: ``None``, or some of ``"loss"`` (a float), ``"hs"`` (T+1, B, H),
            ``"ys"`` (T, B, O), and the gradients ``"W_xh"`` ... ``"b_y"``, ``"xs"``,
            ``"h0"``, each shaped like what it is the gradient of.
    """

    params: Params
    xs: np.ndarray
    targets: np.ndarray
    spec: Spec
    h0: np.ndarray | None
    weights: np.ndarray | None
    comment: str = ""
    expected: dict[str, np.ndarray | float] | None = None

    def kwargs(self) -> dict:
        """The keyword arguments of ``gradients`` and ``loss``: ``{"h0": ..., "weights": ...}``."""
        return {"h0": self.h0, "weights": self.weights}

    @property
    def sizes(self) -> tuple[int, int, int, int, int]:
        """(T, B, D, H, O)."""
        T, B, D = self.xs.shape
        return T, B, D, self.params.hidden_size, self.params.output_size


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The forward values of one call.

    Attributes:
        hs: (T+1, B, H) states; ``hs[0] = h0`` and ``hs[t] = h_t``.
        ys: (T, B, O) read-outs; ``ys[t-1] = y_t``.
    """

    hs: np.ndarray
    ys: np.ndarray


@dataclass(frozen=True, eq=False)
class Gradients:
    """The loss and its gradient with respect to everything that is not a target.

    Attributes:
        loss: L, the same Python float that ``rnn_ref.loss`` returns.
        params: dL/dW_xh, dL/dW_hh, dL/db_h, dL/dW_hy, dL/db_y, each shaped like its
            parameter.
        xs: (T, B, D) dL/dxs.
        h0: (B, H) dL/dh0 (also when ``h0`` was ``None``, i.e. zeros).
    """

    loss: float
    params: Params
    xs: np.ndarray
    h0: np.ndarray
