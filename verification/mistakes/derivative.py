"""Mistakes in the local derivative phi'(a_t) and in the values each step reads."""

from __future__ import annotations

import numpy as np

from .base import DERIVATIVE_FROM_OUTPUT, bptt, with_seams
from .registry import mistake


def _output_formula_at_a(a: np.ndarray, h: np.ndarray, activation: str) -> np.ndarray:
    return DERIVATIVE_FROM_OUTPUT[activation](a)


def phi_prime_at_pre_activation(params, xs, targets, spec, h0, weights) -> dict:
    """phi' taken at the pre-activation a_t with the formula meant for h_t.

    What is wrong: 1 - a^2 (tanh) or a (1 - a) (sigmoid) is evaluated at the pre-activation
    a_t, but these formulas give phi'(a_t) only when fed the output h_t = phi(a_t).

    Why it is tempting: the derivative is written "in terms of the activation", and the code
    has two arrays that could be called the activation; the pre-activation is the argument
    of phi, so it looks like the right one to differentiate at.

    The fix: evaluate 1 - h_t^2 or h_t (1 - h_t) at the stored state h_t, or write
    phi'(a_t) as a function of a_t (1 - tanh(a_t)^2).
    """
    seams = with_seams(phi_prime=_output_formula_at_a)
    return bptt(params, xs, targets, spec, h0, weights, seams)


#: the derivative that code adapted from another activation keeps
_OTHER = {"tanh": "sigmoid", "sigmoid": "tanh", "relu": "tanh"}


def _other_activation(a: np.ndarray, h: np.ndarray, activation: str) -> np.ndarray:
    return DERIVATIVE_FROM_OUTPUT[_OTHER[activation]](h)


def other_activation_derivative(params, xs, targets, spec, h0, weights) -> dict:
    """The derivative of another activation: h(1 - h) for tanh, 1 - h^2 for sigmoid and relu.

    What is wrong: the forward pass applies one activation and the backward pass multiplies
    by the derivative of another, so every delta has the wrong local factor.

    Why it is tempting: code is adapted from a tutorial with another activation, and the
    forward line gets changed while the derivative, far below in the backward pass, does not.

    The fix: take phi and phi' from one place, keyed by the activation's name, so that
    they cannot disagree.
    """
    seams = with_seams(phi_prime=_other_activation)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _last(a: np.ndarray) -> np.ndarray:
    return np.broadcast_to(a[-1], a.shape)


def last_step_values(params, xs, targets, spec, h0, weights) -> dict:
    """Every step's backward reads the last step's values: phi'(a_T), h_{T-1} and x_T.

    What is wrong: the backward loop uses the variables left over from the forward loop
    (the last step's state, input and derivative) instead of the stored values of step t,
    so every step is differentiated as if it were step T.

    Why it is tempting: after the forward loop, ``h``, ``x`` and ``a`` are in scope and
    have the right shapes, and the backward loop runs without error.

    The fix: store every step's values in the forward pass (hs, xs, a) and index them
    by t in the backward loop.
    """
    seams = with_seams(
        phi_prime=lambda a, h, activation: DERIVATIVE_FROM_OUTPUT[activation](_last(h)),
        paired_state=lambda hs: _last(hs[:-1]),
        paired_input=_last,
    )
    return bptt(params, xs, targets, spec, h0, weights, seams)


MISTAKES = (
    mistake(
        "phi-prime-at-pre-activation", phi_prime_at_pre_activation, activation=("tanh", "sigmoid")
    ),
    mistake("other-activation-derivative", other_activation_derivative),
    mistake("last-step-values", last_step_values),
)
