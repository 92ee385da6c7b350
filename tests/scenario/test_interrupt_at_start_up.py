"""A Ctrl-C (or a batch system's SIGTERM) at any moment of start-up stops the command, even one that arrives while libsbml imports
(its bare `except:` blocks swallow the KeyboardInterrupt; the run used to go on and exit 0).

The signal is sent by the process to itself from inside libsbml's first guarded block (its
`inspect.getframeinfo` call), so the test does not depend on timing."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.scenario.test_hostile_input import GOOD

INJECT = textwrap.dedent("""\
    import inspect, os, signal, sys

    real = inspect.getframeinfo

    def interrupt_inside_libsbml(*args, **kwargs):
        if sys._getframe(1).f_globals.get("__name__") == "libsbml":   # inside its try: ... except:
            inspect.getframeinfo = real
            os.kill(os.getpid(), getattr(signal, os.environ["SIGNAL"]))
        return real(*args, **kwargs)

    inspect.getframeinfo = interrupt_inside_libsbml
    from morphosim.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("command, signal_name", [("run", "SIGINT"), ("validate", "SIGINT"), ("run", "SIGTERM")])
def test_ctrl_c_while_libsbml_imports_stops_and_writes_nothing(tmp_path, command, signal_name):
    (tmp_path / "s.yaml").write_text(GOOD)
    checkout = str(Path(__file__).resolve().parents[2])   # this checkout's morphosim, not an installed one
    result = subprocess.run([sys.executable, "-c", INJECT, command, "s.yaml"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "PYTHONPATH": checkout, "SIGNAL": signal_name})
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("morphosim: interrupted"), result.stderr
    assert "Traceback" not in result.stderr and "ok" not in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]
