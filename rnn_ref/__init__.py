"""rnn-ref: a reference Elman RNN with exact backpropagation through time.

    >>> import rnn_ref
    >>> params = rnn_ref.init_params(2, 3, 2, seed=0)

The public API is spec section 4: ``Params``, ``Spec``, ``init_params``, ``forward``,
``loss``, ``gradients``, ``Gradients``, ``Trajectory``; and the one-step teaching layer
``step_forward`` / ``step_backward``.
"""

from .bptt import forward, gradients, loss
from .containers import Gradients, Params, Spec, Trajectory
from .initialise import init_params
from .step import StepCache, StepGradients, step_backward, step_forward

__all__ = [
    "Gradients",
    "Params",
    "Spec",
    "StepCache",
    "StepGradients",
    "Trajectory",
    "forward",
    "gradients",
    "init_params",
    "loss",
    "step_backward",
    "step_forward",
]
__version__ = "0.1.0"
