"""What the slow grading checks (starter_test.py, autograder_test.py) share:
each runs a few steps in a temporary directory and prints every command it
ran, so that a failure shows the way there."""

import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path


class Failed(Exception):
    """One expectation of the check did not hold."""


def step(description: str, command: list[str], cwd: Path | None = None, input: str = "",
         check: bool = True, env: dict[str, str] | None = None,
         timeout: int = 120) -> subprocess.CompletedProcess:
    """Runs \\p command, saying what it is for; with \\p check, a failure ends the check."""
    print(f"== {description}\n$ {shlex.join(command)}", flush=True)
    result = subprocess.run(command, cwd=cwd, input=input, env=env, capture_output=True, text=True,
                            errors="replace", timeout=timeout)
    if check and result.returncode != 0:
        print(result.stdout[-6000:] + result.stderr[-4000:])
        raise Failed(f"{description}: exit status {result.returncode}")
    return result


def in_work_directory(prefix: str, keep: bool, body: Callable[[Path], None], passed: str) -> int:
    """Runs \\p body in a new temporary directory, removed afterwards unless
    \\p keep; prints \\p passed, or the failure, and returns the exit status."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        body(work)
    except Failed as failure:
        print(f"FAILED: {failure}" + (f" (kept {work})" if keep else ""))
        return 1
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    print(passed)
    return 0
