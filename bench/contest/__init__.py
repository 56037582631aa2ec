"""The parts of ``bench/peers.py``, one concept each: ``problems`` (the shapes, one problem's
arrays, the flop count), ``contenders`` (what is timed, and the thread controls), ``timing``
(the check, the warm-up and the turns), ``report`` (the machine, the table, the bars)."""
