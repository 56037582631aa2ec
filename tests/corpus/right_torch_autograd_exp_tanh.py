"""A correct torch module with tanh written as 1 - 2 / (e^{2a} + 1), differentiated by autograd.

No hand-written backward: the recurrence is an explicit Python loop over torch operations,
and autograd does BPTT. The exp formula of tanh is accurate to a few ulps absolute, not
relative, near a = 0. relu is torch.relu.

Check it with::

    rnn-ref check --convention torch tests/corpus/right_torch_autograd_exp_tanh.py:make
"""

import torch
from torch import nn

EXPECT = {
    "verdict": "pass",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": [],
    "target": "make",
    "scope": ["--convention", "torch"],
    "narrow": False,
}


def exp_tanh(a):
    return 1.0 - 2.0 / (torch.exp(2.0 * a) + 1.0)


class LoopRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, nonlinearity):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.empty(hidden_size))
        self.decoder = nn.Linear(hidden_size, output_size)
        self.phi = torch.relu if nonlinearity == "relu" else exp_tanh

    def forward(self, xs, h0):
        h = h0[0]
        outputs = []
        for x in xs.unbind(0):
            a = (
                x @ self.weight_ih_l0.T
                + self.bias_ih_l0
                + h @ self.weight_hh_l0.T
                + self.bias_hh_l0
            )
            h = self.phi(a)
            outputs.append(self.decoder(h))
        return torch.stack(outputs)


def make(input_size, hidden_size, output_size, nonlinearity):
    return LoopRNN(input_size, hidden_size, output_size, nonlinearity)
