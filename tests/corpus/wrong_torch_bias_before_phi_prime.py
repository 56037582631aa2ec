"""A torch kernel whose hidden-bias gradient is taken before phi'.

The bias gradient sums dL/dh_t instead of delta_t.

Check it with::

    rnn-ref check --convention torch tests/corpus/wrong_torch_bias_before_phi_prime.py:make
"""

import torch
from torch import nn

EXPECT = {
    "verdict": "fail",
    "mistake": "bias-gradient-before-phi-prime",
    "accept": [],
    "equation": "(12)",
    "quantity": ["b_h"],
    "target": "make",
    "scope": ["--convention", "torch"],
    "narrow": False,
}


class ElmanBPTT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xs, h0, W_ih, W_hh, bias, relu):
        h = h0
        states = [h0]
        for x in xs:
            a = x @ W_ih.T + h @ W_hh.T + bias
            h = torch.relu(a) if relu else torch.tanh(a)
            states.append(h)
        hs = torch.stack(states)
        ctx.save_for_backward(xs, hs, W_ih, W_hh)
        ctx.relu = relu
        return hs[1:]

    @staticmethod
    def backward(ctx, grad_hs):
        xs, hs, W_ih, W_hh = ctx.saved_tensors
        T = xs.shape[0]
        dW_ih, dW_hh = torch.zeros_like(W_ih), torch.zeros_like(W_hh)
        dbias = torch.zeros(W_hh.shape[0], dtype=hs.dtype)
        dxs = torch.zeros_like(xs)
        carry = torch.zeros_like(hs[0])
        for t in range(T - 1, -1, -1):
            h = hs[t + 1]
            local = (h > 0).to(h.dtype) if ctx.relu else 1 - h * h
            da = local * (grad_hs[t] + carry)
            dW_ih += da.T @ xs[t]
            dW_hh += da.T @ hs[t]
            dbias += (grad_hs[t] + carry).sum(0)
            dxs[t] = da @ W_ih
            carry = da @ W_hh
        return dxs, carry, dW_ih, dW_hh, dbias, None


class Net(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, nonlinearity):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.randn(hidden_size, input_size) * 0.1)
        self.weight_hh_l0 = nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.1)
        self.bias_ih_l0 = nn.Parameter(torch.zeros(hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.zeros(hidden_size))
        self.out = nn.Linear(hidden_size, output_size)
        self.relu = nonlinearity == "relu"

    def forward(self, xs, h0):
        bias = self.bias_ih_l0 + self.bias_hh_l0
        hs = ElmanBPTT.apply(xs, h0[0], self.weight_ih_l0, self.weight_hh_l0, bias, self.relu)
        return self.out(hs)


def make(input_size, hidden_size, output_size, nonlinearity):
    return Net(input_size, hidden_size, output_size, nonlinearity)
