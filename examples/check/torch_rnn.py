"""An Elman RNN as one's own PyTorch kernel: a recurrence with BPTT written by hand.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,   h_t = phi(a_t),   y_t = W h_t + b

``Recurrence`` is a ``torch.autograd.Function`` whose backward is our own; the module keeps
``nn.RNN``'s parameter names and a linear head. Check it with::

    rnn-ref check --convention torch examples/check/torch_rnn.py:make
"""

import torch
from torch import nn


class Recurrence(torch.autograd.Function):
    """hs (T, B, H) from xs (T, B, D), h0 (B, H), W_ih (H, D), W_hh (H, H), b (H,)."""

    @staticmethod
    def forward(ctx, xs, h0, W_ih, W_hh, b, nonlinearity):
        phi = torch.tanh if nonlinearity == "tanh" else torch.relu
        hs = [h0]
        for x in xs:
            hs.append(phi(x @ W_ih.T + hs[-1] @ W_hh.T + b))
        hs = torch.stack(hs)  # (T+1, B, H), hs[0] = h0
        ctx.save_for_backward(xs, hs, W_ih, W_hh)
        ctx.nonlinearity = nonlinearity
        return hs[1:]

    @staticmethod
    def backward(ctx, dhs):
        xs, hs, W_ih, W_hh = ctx.saved_tensors
        # phi'(a_t) from h_t: tanh' = 1 - h^2; relu' = 1 where h > 0 (0 at the kink)
        if ctx.nonlinearity == "tanh":
            dphi = 1 - hs[1:] ** 2
        else:
            dphi = (hs[1:] > 0).to(hs.dtype)
        das = torch.empty_like(dhs)
        dh_next = torch.zeros_like(hs[0])  # dL/dh_t through h_{t+1}
        for t in reversed(range(len(xs))):
            das[t] = dphi[t] * (dhs[t] + dh_next)
            dh_next = das[t] @ W_hh
        # every weight gradient sums its outer products over all steps and sequences
        da = das.flatten(0, 1)
        dW_ih = da.T @ xs.flatten(0, 1)
        dW_hh = da.T @ hs[:-1].flatten(0, 1)
        # past step 0, dh_next is dL/dh0; nonlinearity gets no gradient
        return das @ W_ih, dh_next, dW_ih, dW_hh, da.sum(0), None


class ElmanRNN(nn.Module):
    """xs (T, B, D) and h0 (1, B, H), as nn.RNN takes them, to every step's y (T, B, O)."""

    def __init__(self, input_size, hidden_size, output_size, nonlinearity):
        super().__init__()
        scale = hidden_size**-0.5
        self.weight_ih_l0 = nn.Parameter(scale * torch.randn(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(scale * torch.randn(hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.zeros(hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.zeros(hidden_size))
        self.head = nn.Linear(hidden_size, output_size)
        self.nonlinearity = nonlinearity

    def forward(self, xs, h0):
        b = self.bias_ih_l0 + self.bias_hh_l0
        hs = Recurrence.apply(xs, h0[0], self.weight_ih_l0, self.weight_hh_l0, b, self.nonlinearity)
        return self.head(hs)


def make(input_size, hidden_size, output_size, nonlinearity):
    return ElmanRNN(input_size, hidden_size, output_size, nonlinearity)
