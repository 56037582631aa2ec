"""Mistakes at the read-out and the loss, and in what is done to the finished gradients:
dL/dy_t, the read-out's gradients, the bias sums, rescaling and clipping."""

from __future__ import annotations

import numpy as np

from .base import bptt, loss_gradient, one_hot, softmax, with_seams
from .registry import mistake


def _softmax_alone(ys, targets, weights, loss):
    return weights[..., None] * softmax(ys)


def softmax_ce_without_one_hot(params, xs, targets, spec, h0, weights) -> dict:
    """The softmax cross-entropy gradient without the one-hot: dL/dy_t = softmax(y_t).

    What is wrong: dl/dy = softmax(y) - e_c; dropping e_c leaves the gradient of
    logsumexp(y) alone, which ignores the target class entirely.

    Why it is tempting: the code computes the probabilities, and the step that subtracts 1
    at the target's index (``dy[c] -= 1``) is a separate line that is easy to lose.

    The fix: dL/dy_t = w_t (softmax(y_t) - e_c), with e_c the one-hot vector of the target.
    """
    seams = with_seams(dys=_softmax_alone)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _times_softmax_derivative(ys, targets, weights, loss):
    p = softmax(ys)
    return weights[..., None] * (p - one_hot(targets, ys.shape[-1])) * p * (1.0 - p)


def softmax_derivative_applied_twice(params, xs, targets, spec, h0, weights) -> dict:
    """softmax'(y) = p(1 - p) multiplied onto softmax(y) - e_c, which already includes it.

    What is wrong: softmax(y) - e_c is the gradient of the cross-entropy with respect to the
    scores y, through the softmax; multiplying by p(1 - p) takes the softmax's derivative a
    second time (and only its diagonal).

    Why it is tempting: the chain rule "output error times activation derivative" is learnt
    for sigmoid outputs, and is applied to the softmax layer by habit.

    The fix: dL/dy_t = w_t (softmax(y_t) - e_c) and nothing more.
    """
    seams = with_seams(dys=_times_softmax_derivative)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _twice(ys, targets, weights, loss):
    return 2.0 * loss_gradient(ys, targets, weights, loss)


def mse_gradient_doubled(params, xs, targets, spec, h0, weights) -> dict:
    """The mse gradient taken as 2 (y_t - z_t) for the loss l = 1/2 ||y - z||^2.

    What is wrong: with the 1/2 in the loss, dl/dy = y - z; the 2 belongs to the loss
    ||y - z||^2, so every gradient is twice the gradient of the loss that is reported.

    Why it is tempting: "the derivative of a square is twice" is remembered, and whether
    this project's loss has the 1/2 is not checked.

    The fix: dL/dy_t = w_t (y_t - z_t) for l = 1/2 ||y - z||^2 (or report the loss without
    the 1/2).
    """
    seams = with_seams(dys=_twice)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _negated(ys, targets, weights, loss):
    return -loss_gradient(ys, targets, weights, loss)


def target_minus_output(params, xs, targets, spec, h0, weights) -> dict:
    """The error taken as target minus output (z - y, or e_c - softmax(y)): every sign flipped.

    What is wrong: dl/dy = y - z; z - y is the negative gradient, the direction of descent,
    not the gradient.

    Why it is tempting: the delta rule is often written with the error z - y and a plus
    sign in the update, and the two conventions get mixed.

    The fix: return dL/d(parameters) itself, y - z at the read-out, and let the optimiser
    subtract it.
    """
    seams = with_seams(dys=_negated)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _unweighted(ys, targets, weights, loss):
    return loss_gradient(ys, targets, np.ones_like(weights), loss)


def loss_weights_ignored(params, xs, targets, spec, h0, weights) -> dict:
    """The per-step loss weights (the padding mask) ignored in the backward pass.

    What is wrong: L = sum_t w_t l_t, so dL/dy_t = w_t dl/dy_t; without w_t, padded steps
    and steps outside a many-to-one loss send gradient back as if they were counted.

    Why it is tempting: the mask is applied where the loss value is summed, and the
    backward pass, written separately, starts from y - z at every step.

    The fix: multiply dl/dy_t by w_t (0 at padding) before anything else in the backward pass.
    """
    seams = with_seams(dys=_unweighted)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _the_first_step_only(dys, hs, batch_sum):
    return dys[0].T @ hs[1], dys[0].sum(axis=0)


def read_out_overwritten(params, xs, targets, spec, h0, weights) -> dict:
    """The read-out gradients overwritten at every step instead of accumulated.

    What is wrong: W_hy and b_y are used at every step, so their gradients are sums over
    t; ``dW_hy = dy_t h_t^T`` in a backward loop keeps only its last iteration, step 1.

    Why it is tempting: in a feed-forward layer the assignment is right, and the shapes are
    the same whether one assigns or adds.

    The fix: ``dW_hy += dy_t h_t^T`` and ``db_y += dy_t``, starting from zeros (or one
    product over all steps).
    """
    seams = with_seams(read_out=_the_first_step_only)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _over_time_only(per_step: np.ndarray) -> np.ndarray:
    return per_step.sum(axis=0)


def bias_not_summed_over_batch(params, xs, targets, spec, h0, weights) -> dict:
    """The bias gradients summed over time but not over the batch: shape (B, H) and (B, O).

    What is wrong: one bias is added to every sequence of the batch, so its gradient is the
    sum over the batch as well as over time; the result has an extra batch axis.

    Why it is tempting: with one sequence at a time (B = 1) the result has the right number
    of elements, and NumPy broadcasting lets the optimiser's update run anyway.

    The fix: sum the per-step deltas over time and batch: ``deltas.sum(axis=(0, 1))``.
    """
    seams = with_seams(batch_sum=_over_time_only)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _divided_by_T(grads: dict, T: int) -> dict:
    return {name: g / T for name, g in grads.items()}


def averaged_over_time(params, xs, targets, spec, h0, weights) -> dict:
    """The gradients averaged over the time steps while the loss is their sum.

    What is wrong: the gradient of a sum over steps is the sum of the steps' gradients;
    dividing by T gives the gradient of L / T, not of the loss reported.

    Why it is tempting: averaging keeps the step size independent of the sequence length,
    and the loss and the gradient are written in different places.

    The fix: differentiate the loss that is reported; if the mean over time is wanted, make
    it the loss (weights of 1/T) so that value and gradient agree.
    """
    seams = with_seams(finish=_divided_by_T)
    return bptt(params, xs, targets, spec, h0, weights, seams)


#: where ``clipped_in_backward`` clips, as a well-known minimal character-level RNN does
GRADIENT_CLIP = 5.0


def _clipped(grads: dict, T: int) -> dict:
    params = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
    return {
        n: np.clip(g, -GRADIENT_CLIP, GRADIENT_CLIP) if n in params else g for n, g in grads.items()
    }


def clipped_in_backward(params, xs, targets, spec, h0, weights) -> dict:
    """Every parameter gradient clipped element-wise to [-5, 5] before it is returned.

    What is wrong: a clipped gradient is the gradient only where no entry exceeds the
    bound; clipping inside the function that computes the gradient hides exploding
    gradients from every check made on it.

    Why it is tempting: it keeps training stable on long sequences, and the function that
    returns the gradient is where the clipping line of a minimal training script lives.

    The fix: return the exact gradient; clip (preferably by global norm) in the training
    loop, where it is visibly part of the update rule.
    """
    seams = with_seams(finish=_clipped)
    return bptt(params, xs, targets, spec, h0, weights, seams)


MISTAKES = (
    mistake("softmax-ce-without-one-hot", softmax_ce_without_one_hot, loss=("softmax_ce",)),
    mistake(
        "softmax-derivative-applied-twice", softmax_derivative_applied_twice, loss=("softmax_ce",)
    ),
    mistake("mse-gradient-doubled", mse_gradient_doubled, loss=("mse",)),
    mistake("target-minus-output", target_minus_output),
    mistake("loss-weights-ignored", loss_weights_ignored, weights=("any", "mask", "last")),
    mistake("read-out-overwritten", read_out_overwritten),
    mistake("bias-not-summed-over-batch", bias_not_summed_over_batch),
    mistake("averaged-over-time", averaged_over_time),
    mistake("clipped-in-backward", clipped_in_backward),
)
