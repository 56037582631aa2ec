"""``python -m rnn_ref``: the same as the ``rnn-ref`` console command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
