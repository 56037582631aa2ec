"""The files rnn-ref reads and writes, and the rules every one of them follows.

- ``casefile``: the case file of one call (``docs/case-format.md``), public as
  ``rnn_ref.Problem``, ``rnn_ref.save_case`` and ``rnn_ref.load_case``;
- ``_npz``: an ``.npz`` read as an untrusted file, checked whole before anything is built
  from it;
- ``_atomic``: a file written whole or not at all;
- ``rundir``: a directory written whole or not at all (a training run, a vector suite);
- ``_process``: standard output that may vanish (a closed pipe) and SIGTERM, for the CLI.
"""
