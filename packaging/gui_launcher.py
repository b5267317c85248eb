"""Entry point of the windowed executable (Windows and macOS): always the GUI.

`umt-desktop-gui [VIDEO]` is what Explorer/Finder run on a double-click or an
"Open with"; the console executable stays the command line.
"""

import multiprocessing
import sys

from umt_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    # Old Finder versions pass a process serial number (-psn_0_12345); it is not a file.
    args = [a for a in sys.argv[1:] if not a.startswith("-psn_")]
    sys.exit(main(["gui", *args]))
