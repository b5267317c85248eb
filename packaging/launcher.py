"""Entry point of the frozen bundle: the same `main()` as the `umt-desktop` console script.

With no arguments it opens the window (`main()` defaults to `gui`), so a
double-click or a desktop launcher starts the app.
"""

import multiprocessing
import sys

from umt_desktop.cli import main

if __name__ == "__main__":
    # A frozen program that starts worker processes must let them through first.
    multiprocessing.freeze_support()
    sys.exit(main())
