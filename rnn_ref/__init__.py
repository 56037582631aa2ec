"""rnn-ref: a reference Elman RNN with exact backpropagation through time.

    >>> import rnn_ref
    >>> params = rnn_ref.init_params(2, 3, 2, seed=0)

The public API is docs/contract.md §4: ``Params``, ``Spec``, ``init_params``, ``forward``,
``loss``, ``gradients``, ``Gradients``, ``Trajectory``; and the one-step teaching layer
``step_forward`` / ``step_backward``; and the optimisers and clipping of ``rnn_ref.optim``
(``SGD``, ``Adam``, ``clip_elementwise``, ``clip_global_norm``, ...), which the training tasks
of ``rnn_ref.tasks`` use; and the case file of one call (``Problem``, ``save_case``,
``load_case``, see ``docs/case-format.md``).
"""

from .bptt import forward, gradients, loss
from .containers import Gradients, Params, Problem, Spec, Trajectory
from .files.casefile import load_case, save_case
from .initialise import init_params
from .optim import (
    SGD,
    Adam,
    AdamState,
    SGDState,
    clip_elementwise,
    clip_global_norm,
    cosine_decay,
    global_norm,
)
from .step import StepCache, StepGradients, step_backward, step_forward

__all__ = [
    "SGD",
    "Adam",
    "AdamState",
    "Gradients",
    "Params",
    "Problem",
    "SGDState",
    "Spec",
    "StepCache",
    "StepGradients",
    "Trajectory",
    "clip_elementwise",
    "clip_global_norm",
    "cosine_decay",
    "forward",
    "global_norm",
    "gradients",
    "init_params",
    "load_case",
    "loss",
    "save_case",
    "step_backward",
    "step_forward",
]
__version__ = "0.1.0"
