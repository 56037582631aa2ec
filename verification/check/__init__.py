"""Check someone else's RNN gradients against rnn_ref (``rnn-ref check``).

- ``scope``: what the user's code supports, inside which cases are drawn.
- ``conventions``: how the user's code is called (canonical, layer, column, torch), with
  the adapters of the last three in ``layer``, ``column`` and ``torch_module``.
"""
