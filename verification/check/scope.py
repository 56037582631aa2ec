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
        bias: False when the user's model has no biases (b_h = b_y = 0, not checked).
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
