"""Run several meow command lines in one (launched) process: `python meow_runs.py '[["unlearn", ...], ...]'`.

Between runs accelerate's process-wide state is reset (as tests/conftest.py does between tests); the process
group stays up. Exits with the first non-zero code.
"""

from __future__ import annotations

import json
import sys

from meow.cli import main

if __name__ == "__main__":
    from accelerate.state import AcceleratorState, PartialState

    for argv in json.loads(sys.argv[1]):
        code = main(argv)
        if code:
            raise SystemExit(code)
        AcceleratorState._reset_state(True)
        PartialState._reset_state()
