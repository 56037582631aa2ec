"""The training loop that every task shares: batches in, exact BPTT, clipping, an update.

A task describes its data as a ``Problem``: the loss, the sizes, and a function that lays
out one epoch as a list of ``Batch`` es (time-major inputs, targets and 0/1 loss weights,
as ``rnn_ref.gradients`` takes them). ``fit`` then does, for every batch,

    grads = rnn_ref.gradients(params, xs, targets, spec, weights=w / w.sum())
    grads = clip(grads)                      # element-wise or global norm, if asked
    params, state = optimizer.update(params, grads, state, lr=schedule(step))

Dividing the weights by their sum makes the loss of a batch the mean over its scored
terms, so a learning rate does not depend on the batch size or on the sequence lengths.
The gradient is always ``rnn_ref.gradients``: exact BPTT, or the exact gradient of the
window(k)/chunk(k) surrogate that the configuration names. Nothing here calls the JAX twin.

Everything random comes from the seed: ``rnn_ref.init_params(seed=seed)`` draws the
weights, and ``np.random.default_rng([seed, 1])`` the order of the batches, so the same
configuration gives the same numbers bit for bit.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

import rnn_ref
from rnn_ref import Params, Spec
from rnn_ref import _validation as v
from rnn_ref.containers import ACTIVATIONS, TRUNCATION_MODES, truncation_label
from rnn_ref.initialise import SCHEMES

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")
CLIP_MODES = ("elementwise", "norm")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting that the common training flags choose.

    Attributes:
        activation: phi of the hidden layer.
        hidden: H, the number of hidden units.
        truncation: ``None`` (full BPTT) or k >= 1, with ``truncation_mode``.
        truncation_mode: ``"window"`` or ``"chunk"`` (see ``docs/truncation.md``).
        optimizer: ``"sgd"`` or ``"adam"``.
        lr: the (initial) learning rate.
        betas: Adam's (beta1, beta2).
        schedule: ``"constant"`` or ``"cosine"`` (``rnn_ref.cosine_decay`` over all updates).
        clip: ``None`` for no clipping, or the threshold c > 0.
        clip_mode: ``"elementwise"`` (every entry into [-c, c]) or ``"norm"`` (global norm).
        epochs: passes over the training data.
        batch_size: sequences per batch (``None``: the task's own layout).
        seed: the seed of everything random.
        init: the ``rnn_ref.init_params`` scheme.

    Every field is checked when the config is built, type and range, and an error names it
    as ``config.<field>``; NumPy scalars become Python numbers, so the config writes as
    JSON.
    """

    activation: str = "tanh"
    hidden: int = 16
    truncation: int | None = None
    truncation_mode: str = "window"
    optimizer: str = "adam"
    lr: float = 0.01
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: str = "constant"
    clip: float | None = None
    clip_mode: str = "norm"
    epochs: int = 100
    batch_size: int | None = None
    seed: int = 0
    init: str = "xavier"

    def __post_init__(self) -> None:
        """Check every field, type and range, and normalise NumPy scalars to Python ones.

        A config is built from Python too, where nothing else checks it: ``epochs=True``
        would count as one epoch and ``clip=inf`` fail only at the first update.
        """
        choices = {
            "activation": ACTIVATIONS,
            "truncation_mode": TRUNCATION_MODES,
            "optimizer": OPTIMIZERS,
            "schedule": SCHEDULES,
            "clip_mode": CLIP_MODES,
            "init": SCHEMES,
        }
        for name, allowed in choices.items():
            v.check_choice(getattr(self, name), f"config.{name}", allowed)
        integers = {"hidden": 1, "epochs": 1, "seed": 0, "truncation": 1, "batch_size": 1}
        for name, minimum in integers.items():
            value = getattr(self, name)
            if value is None and name in OPTIONAL:
                continue
            self._set(name, _optional(v.check_integer, value, f"config.{name}", minimum))
        self._set("lr", v.check_positive(self.lr, "config.lr"))
        if self.clip is not None:
            self._set("clip", _optional(v.check_positive, self.clip, "config.clip"))
        betas = self.betas
        if not isinstance(betas, (tuple, list)):
            raise TypeError(
                f"config.betas: expected a pair (beta1, beta2) of numbers in [0, 1), got "
                f"{betas!r:.100}"
            )
        if len(betas) != 2:
            raise ValueError(f"config.betas: expected a pair (beta1, beta2), got {betas!r:.100}")
        self._set(
            "betas", tuple(v.check_fraction(b, f"config.betas[{i}]") for i, b in enumerate(betas))
        )

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)  # the dataclass is frozen

    def spec(self, loss: str) -> Spec:
        """The ``rnn_ref.Spec`` of this configuration for a task's ``loss``."""
        return Spec(
            activation=self.activation,
            loss=loss,
            truncation=self.truncation,
            truncation_mode=self.truncation_mode,
        )

    def make_optimizer(self) -> rnn_ref.SGD | rnn_ref.Adam:
        if self.optimizer == "sgd":
            return rnn_ref.SGD(lr=self.lr)
        return rnn_ref.Adam(lr=self.lr, beta1=self.betas[0], beta2=self.betas[1])

    def clip_gradients(self, grads: Params) -> Params:
        if self.clip is None:
            return grads
        if self.clip_mode == "elementwise":
            return rnn_ref.clip_elementwise(grads, self.clip)
        return rnn_ref.clip_global_norm(grads, self.clip)

    def learning_rate(self, step: int, total: int) -> float:
        """The learning rate of update ``step`` (1-based) out of ``total``."""
        if self.schedule == "cosine":
            return rnn_ref.cosine_decay(self.lr, step, total)
        return self.lr

    def describe(self) -> str:
        """One phrase, e.g. ``tanh, H=16, full BPTT, adam lr=0.01 (cosine), no clipping``."""
        gradient = truncation_label(self.truncation, self.truncation_mode)
        optimizer = f"{self.optimizer} lr={self.lr:g}"
        if self.optimizer == "adam" and self.betas != (0.9, 0.999):
            optimizer += f" betas={self.betas[0]:g},{self.betas[1]:g}"
        if self.schedule != "constant":
            optimizer += f" ({self.schedule})"
        clip = "no clipping" if self.clip is None else f"clip {self.clip_mode} {self.clip:g}"
        return f"{self.activation}, H={self.hidden}, {gradient}, {optimizer}, {clip}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"betas": list(self.betas)}


OPTIONAL = ("truncation", "batch_size", "clip")  # the fields of TrainConfig that may be None


def _optional(check, value, name: str, *args):
    """``check(value, name, *args)``, its message saying that None is allowed too."""
    try:
        return check(value, name, *args)
    except (TypeError, ValueError) as error:
        if name.removeprefix("config.") not in OPTIONAL:
            raise
        message = str(error).replace(": expected ", ": expected None or ", 1)
        raise type(error)(message) from None


@dataclass(frozen=True, eq=False)
class Batch:
    """One update's data, in the layout of ``rnn_ref.gradients``.

    Attributes:
        xs: (T, B, D) inputs.
        targets: (T, B, O) floats (mse) or (T, B) class ids (softmax_ce).
        weights: (T, B) 0/1: which steps are scored. ``fit`` divides them by their sum.
    """

    xs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class Problem:
    """What ``fit`` needs to know about a task.

    Attributes:
        loss: ``"mse"`` or ``"softmax_ce"``.
        input_size: D. output_size: O.
        epoch: ``epoch(rng)`` gives the batches of one epoch in the order they are used
            (a list, or an iterator that builds each batch when it is reached); ``rng``
            is the loop's generator, for shuffling.
        batches_per_epoch: how many batches ``epoch`` returns (for the schedule).
        validate: ``validate(params, spec)``, the mean validation loss per scored term,
            or ``None`` when the task has no validation data.
        stateful: each batch starts in the state where the previous batch of the epoch
            ended (held constant: no gradient flows into it), as in the classic
            character-level loop; otherwise every batch starts from zeros.
    """

    loss: str
    input_size: int
    output_size: int
    epoch: Callable[[np.random.Generator], Iterable[Batch]]
    batches_per_epoch: int
    validate: Callable[[Params, Spec], float] | None = None
    stateful: bool = False


class Diverged(ValueError):
    """Training left float64's range: the loss overflowed or a parameter stopped being finite.

    A ``ValueError``, so that ``rnn-ref train`` reports it in one line and exits 2.
    """


@dataclass
class History:
    """The mean loss per scored term of every epoch, and the training time."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


class _Progress:
    """A tqdm bar over the epochs, with the loss; quiet when stderr is not a terminal.

    tqdm is imported here, not at the top, so that ``import rnn_ref`` needs NumPy only.
    ``enabled=None`` lets tqdm decide (off when stderr is piped or redirected).
    """

    def __init__(self, total: int, desc: str, enabled: bool | None) -> None:
        self.bar = None
        if enabled is False:
            return
        try:
            from tqdm import tqdm
        except ModuleNotFoundError:
            return
        self.bar = tqdm(
            total=total,
            desc=desc,
            unit="epoch",
            disable=None if enabled is None else not enabled,
            file=sys.stderr,
            leave=False,
            dynamic_ncols=True,
        )

    def update(self, train_loss: float, val_loss: float | None) -> None:
        if self.bar is None:
            return
        postfix = {"loss": f"{train_loss:.3e}"}
        if val_loss is not None:
            postfix["val"] = f"{val_loss:.3e}"
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def write(self, text: str) -> None:
        """Print a line to stdout without breaking the bar."""
        if self.bar is None or self.bar.disable:
            print(text, flush=True)
        else:
            self.bar.write(text, file=sys.stdout)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def fit(
    problem: Problem,
    config: TrainConfig,
    *,
    name: str = "train",
    progress: bool | None = None,
    on_epoch: Callable[[int, Params, Callable[[str], None]], None] | None = None,
) -> tuple[Params, History]:
    """Train from ``rnn_ref.init_params(seed=config.seed)`` and return the parameters.

    Args:
        problem: the task's data and loss.
        config: the training settings.
        name: the label of the progress bar.
        progress: ``None`` (a bar when stderr is a terminal), ``True`` or ``False``.
        on_epoch: called as ``on_epoch(epoch, params, write)`` after every epoch; ``write``
            prints a line to stdout without breaking the progress bar.

    Returns:
        The trained parameters and the ``History`` of the losses.
    """
    spec = config.spec(problem.loss)
    params = rnn_ref.init_params(
        problem.input_size,
        config.hidden,
        problem.output_size,
        seed=config.seed,
        scheme=config.init,
    )
    optimizer = config.make_optimizer()
    state = optimizer.init(params)
    rng = np.random.default_rng([config.seed, 1])
    total = config.epochs * problem.batches_per_epoch
    history = History()
    bar = _Progress(config.epochs, name, progress)
    step = 0
    start = time.perf_counter()
    try:
        for epoch in range(1, config.epochs + 1):
            try:
                params, state, mean_loss, val = _epoch(
                    problem, config, spec, optimizer, params, state, rng, step, total
                )
            except FloatingPointError:
                raise Diverged(_diverged(epoch, config)) from None
            step += problem.batches_per_epoch
            history.train_loss.append(mean_loss)
            if val is not None:
                history.val_loss.append(val)
            bar.update(mean_loss, val)
            if on_epoch is not None:
                on_epoch(epoch, params, bar.write)
    finally:
        bar.close()
    history.seconds = time.perf_counter() - start
    return params, history


def _diverged(epoch: int, config: TrainConfig) -> str:
    return (
        f"training diverged in epoch {epoch}: the loss or a parameter overflowed float64 "
        f"(optimizer {config.optimizer}, lr {config.lr:g}); try a smaller --lr, or --clip"
    )


def _epoch(problem, config, spec, optimizer, params, state, rng, step, total):
    """One pass over the batches: the new parameters and state, the mean loss, validation."""
    loss_sum, scored = 0.0, 0.0
    h = None  # the state carried from batch to batch when the problem is stateful
    for batch in _checked(problem.epoch(rng), problem.batches_per_epoch):
        n = float(batch.weights.sum())
        w = batch.weights / n  # the loss of the batch: the mean over scored terms
        grads = rnn_ref.gradients(params, batch.xs, batch.targets, spec, h0=h, weights=w)
        if problem.stateful:
            # The next batch starts where this one ends, with the parameters that computed
            # this batch's loss; as an h0 it is a constant, not a path of the gradient.
            h = rnn_ref.forward(params, batch.xs, h, activation=spec.activation).hs[-1]
        step += 1
        with np.errstate(over="raise", invalid="raise"):  # a diverging update raises
            params, state = optimizer.update(
                params,
                config.clip_gradients(grads.params),
                state,
                lr=config.learning_rate(step, total),
            )
        if not all(np.isfinite(a).all() for a in params.arrays()):
            raise FloatingPointError("a parameter is no longer finite")
        loss_sum += grads.loss * n
        scored += n
    val = None if problem.validate is None else problem.validate(params, spec)
    return params, state, loss_sum / scored, val


def _checked(batches: Iterable[Batch], expected: int) -> Iterator[Batch]:
    """The batches, one at a time (a task may build each when it is reached), counted."""
    count = 0
    for batch in batches:
        count += 1
        yield batch
    if count != expected:
        raise RuntimeError(f"the task laid out {count} batches, expected {expected}")
