"""Conventions: how a user's code is called, translated to and from the canonical one.

The checker itself speaks one language, the ``canonical`` convention::

    fn(params, xs, targets, spec, h0, weights) -> dict

- ``params``: a dict with the five names ``W_xh`` (H, D), ``W_hh`` (H, H), ``b_h`` (H,),
  ``W_hy`` (O, H), ``b_y`` (O,); all five always present (zero biases without bias).
- ``xs``: (T, B, D); ``targets``: (T, B, O) floats (mse) or (T, B) int64 class ids
  (softmax_ce), always finite (padded positions hold ordinary values);
  ``h0``: (B, H), ``weights``: (T, B), always arrays, never None.
- ``spec``: a dict of the ``rnn_ref.Spec`` fields (activation, loss, truncation,
  truncation_mode).
- the result: a dict of gradients under the names ``W_xh``, ``W_hh``, ``b_h``, ``W_hy``,
  ``b_y``, optionally ``xs``, ``h0`` and ``loss``. What is not returned is not checked.

Every other convention is an adapter: ``wrap`` turns the user's functions into a function
of the canonical signature, and ``restrict`` narrows the scope to what the convention can
express (raising ``ValueError`` when the user asked for something it cannot). Each has its
module, where its calling convention is written down: ``layer`` (a recurrent layer's
forward and backward), ``column`` (one sequence of columns, the minimal char-RNN) and
``torch_module`` (an ``nn.Module`` with ``nn.RNN``'s names). ``docs/checker.md`` shows
each with an example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import column, layer, torch_module
from .scope import Scope

#: fn(params, xs, targets, spec, h0, weights) -> dict of gradients (module docstring).
CanonicalFn = Callable[..., dict]


@dataclass(frozen=True)
class Convention:
    """One way of calling a user's RNN.

    Attributes:
        name: the value of ``--convention``.
        summary: one line for ``--help``.
        functions: how many comma-separated names TARGET gives (``layer``: 2).
        restrict: ``restrict(scope, options) -> Scope``, the scope narrowed to what the
            convention can express; ``ValueError`` if the user's scope asks for more.
        wrap: ``wrap(functions, options) -> CanonicalFn``.
        options: the names of the convention's own options (``layout`` for ``layer``).
    """

    name: str
    summary: str
    functions: int
    restrict: Callable[[Scope, dict], Scope]
    wrap: Callable[[tuple[Callable, ...], dict], CanonicalFn]
    options: tuple[str, ...] = field(default=())


def _canonical_restrict(scope: Scope, options: dict) -> Scope:
    return scope


def _canonical_wrap(functions: tuple[Callable, ...], options: dict) -> CanonicalFn:
    (fn,) = functions
    return fn


CANONICAL = Convention(
    name="canonical",
    summary="fn(params, xs, targets, spec, h0, weights) -> dict, with rnn-ref's names",
    functions=1,
    restrict=_canonical_restrict,
    wrap=_canonical_wrap,
)

LAYER = Convention(
    name="layer",
    summary="forward(x, h0, params) -> (h, cache) and backward(dh, cache): the recurrent "
    "layer alone, row layout",
    functions=2,
    restrict=layer.restrict,
    wrap=layer.wrap,
    options=("layout",),
)

COLUMN = Convention(
    name="column",
    summary="fn(inputs, targets, hprev) or fn(params, inputs, targets, hprev) -> (loss, "
    "gradients..., h_last): one sequence of column vectors, the minimal char-RNN",
    functions=1,
    restrict=column.restrict,
    wrap=column.wrap,
    options=("inputs", "names"),
)

TORCH = Convention(
    name="torch",
    summary="make(input_size, hidden_size, output_size, nonlinearity) -> nn.Module with "
    "nn.RNN's parameter names and a linear head",
    functions=1,
    restrict=torch_module.restrict,
    wrap=torch_module.wrap,
)

#: Every convention by name.
CONVENTIONS: dict[str, Convention] = {c.name: c for c in (CANONICAL, LAYER, COLUMN, TORCH)}
