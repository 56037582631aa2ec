"""What a user's RNN supports: the scope inside which ``rnn-ref check`` draws its cases.

Every field mirrors one flag of ``rnn-ref check``. For activation, loss, bptt, weights and
h0, ``None`` means "every value is drawn" (the flag was left out), so that a failure can
tell the user which values their code needs; the other fields have a single default.

A convention may fix some fields (``Convention.restrict``): the ``layer`` convention, for
one, has an identity read-out and the mse loss.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")
BPTT_MODES = ("full", "window", "chunk")
#: any: per-step weights drawn freely (>= 0); ones: plain many-to-many; mask: 0/1 masks as
#: in padded batches; last: the last step only (many-to-one).
WEIGHT_KINDS = ("any", "ones", "mask", "last")
#: sum: L as defined; batch-mean: L / B; mean: L / (sum of the weights).
REDUCTIONS = ("sum", "batch-mean", "mean")
H0_KINDS = ("any", "zeros")
DTYPES = ("float64", "float32")
#: The flags whose values are all drawn when left out, each with the ``Scope`` field that
#: fixes it: a failure is grouped by their values.
OPEN_FLAGS = {
    "activation": "activations",
    "loss": "losses",
    "bptt": "bptt",
    "weights": "weights",
    "h0": "h0",
}


@dataclass(frozen=True)
class Bptt:
    """One truncation the user's code implements: ``full``, or window/chunk with a k.

    Attributes:
        mode: ``"full"``, ``"window"`` or ``"chunk"``.
        k: the fixed k the code hard-wires, or ``None`` for "any k, read from spec".
    """

    mode: str
    k: int | None = None


@dataclass(frozen=True)
class Scope:
    """The cases a user's function is checked on.

    Attributes:
        activations: the activations drawn, or ``None`` for all three.
        losses: the losses drawn, or ``None`` for both.
        bptt: the truncation drawn, or ``None`` for full, window(k) and chunk(k) alike.
        weights: one of ``WEIGHT_KINDS``, or ``None`` for all of them.
        reduction: one of ``REDUCTIONS``: how the user's loss reduces its terms.
        h0: ``"any"`` or ``"zeros"``, or ``None`` for both.
        bias: False when the user's model has no biases: b_h = b_y = 0 in every case; a
            bias gradient returned is compared with the true dL/db at b = 0.
        batch_one: True when the user's code takes a single sequence (B = 1).
        dtype: ``"float64"`` or ``"float32"``: the dtype of the arrays passed in.
        identity_readout: y_t = h_t (W_hy = I, b_y = 0, O = H), for conventions that
            check the recurrent layer alone.
        one_hot_inputs: every x_t is a one-hot vector (class-id inputs, as in
            character-level models).
    """

    activations: tuple[str, ...] | None = None
    losses: tuple[str, ...] | None = None
    bptt: Bptt | None = None
    weights: str | None = None
    reduction: str = "sum"
    h0: str | None = None
    bias: bool = True
    batch_one: bool = False
    dtype: str = "float64"
    identity_readout: bool = False
    one_hot_inputs: bool = False


def parse_bptt(text: str) -> Bptt:
    """``full``, ``window``, ``chunk``, ``window:K`` or ``chunk:K`` (K >= 1) as a ``Bptt``.

    Without K the user's code reads k from ``spec["truncation"]`` and every k is drawn.

    Raises:
        ValueError: anything else, naming what was expected.
    """
    mode, colon, k_text = text.partition(":")
    expected = f"bptt: expected full, window[:K] or chunk[:K] with K >= 1, got {text!r}"
    if mode not in BPTT_MODES or (mode == "full" and colon):
        raise ValueError(expected)
    if not colon:
        return Bptt(mode)
    if not k_text.isdigit() or int(k_text) < 1:
        raise ValueError(expected)
    return Bptt(mode, int(k_text))


def describe(scope: Scope) -> str:
    """The flags of ``rnn-ref check`` that give ``scope``, e.g. ``--activation tanh``."""
    flags = []
    if scope.activations is not None:
        flags += [f"--activation {a}" for a in scope.activations]
    if scope.losses is not None:
        flags += [f"--loss {loss}" for loss in scope.losses]
    if scope.bptt is not None:
        k = "" if scope.bptt.k is None else f":{scope.bptt.k}"
        flags.append(f"--bptt {scope.bptt.mode}{k}")
    for name in ("weights", "h0"):
        if getattr(scope, name) is not None:
            flags.append(f"--{name} {getattr(scope, name)}")
    if scope.reduction != "sum":
        flags.append(f"--reduction {scope.reduction}")
    if not scope.bias:
        flags.append("--no-bias")
    if scope.batch_one:
        flags.append("--batch-one")
    if scope.dtype != "float64":
        flags.append(f"--dtype {scope.dtype}")
    return " ".join(flags)


def _names(name: str, value: object, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or any(v not in allowed for v in values):
        raise ValueError(f"{name}: expected one or more of {', '.join(allowed)}, got {value!r}")
    return tuple(dict.fromkeys(values))


def _one(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value  # type: ignore[return-value]


def make_scope(
    *,
    activation: str | tuple[str, ...] | None = None,
    loss: str | tuple[str, ...] | None = None,
    bptt: str | Bptt | None = None,
    weights: str | None = None,
    reduction: str = "sum",
    h0: str | None = None,
    bias: bool = True,
    batch_one: bool = False,
    dtype: str = "float64",
) -> Scope:
    """The ``Scope`` of the keywords of ``verification.check_gradients``, each checked.

    ``activation`` and ``loss`` take one name or several; ``bptt`` a ``parse_bptt`` text.
    ``None`` means every value is drawn.

    Raises:
        ValueError, TypeError: a value outside its flag's choices, naming the keyword.
    """
    if bptt is not None and not isinstance(bptt, Bptt):
        if not isinstance(bptt, str):
            raise TypeError(f"bptt: expected a string like 'window:4', got {bptt!r}")
        bptt = parse_bptt(bptt)
    for name, flag in (("bias", bias), ("batch_one", batch_one)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name}: expected True or False, got {flag!r}")
    return Scope(
        activations=_names("activation", activation, ACTIVATIONS),
        losses=_names("loss", loss, LOSSES),
        bptt=bptt,
        weights=None if weights is None else _one("weights", weights, WEIGHT_KINDS),
        reduction=_one("reduction", reduction, REDUCTIONS),
        h0=None if h0 is None else _one("h0", h0, H0_KINDS),
        bias=bias,
        batch_one=batch_one,
        dtype=_one("dtype", dtype, DTYPES),
    )
