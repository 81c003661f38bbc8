#!/usr/bin/env python3
"""The Gradescope package works: `./lab autograder OUT.zip`, unpacked into a
temporary directory standing in for /autograder (NSLAB_AUTOGRADER_ROOT), set
up with its setup.sh, grades an unsolved and a solved submission with its
run_autograder, and the two results.json files say what Gradescope should
show.

Usage: autograder_test.py --source-dir DIR [--keep]

Slow (setup.sh builds a whole tree), so ctest has it only in a build
configured with -DNSLAB_TEST_AUTOGRADER=ON, as CI's (.ci/run).
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


class Failed(Exception):
    """One expectation about the package did not hold."""


def step(description: str, command: list[str], environment: dict[str, str]) -> None:
    print(f"== {description}\n$ {shlex.join(command)}", flush=True)
    result = subprocess.run(command, env=environment, capture_output=True, text=True, errors="replace",
                            timeout=1500)
    if result.returncode != 0:
        print(result.stdout[-6000:] + result.stderr[-3000:])
        raise Failed(f"{description}: exit status {result.returncode}")


def unpack(package: Path, root: Path) -> None:
    """As Gradescope does: the zip into source/, run_autograder copied to the root."""
    with zipfile.ZipFile(package) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, root / "source"))
            path.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")


def grade(root: Path, submission: dict[str, Path], environment: dict[str, str]) -> dict:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    for path, source in submission.items():
        (root / "submission" / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / "submission" / path)
    (root / "submission").mkdir(exist_ok=True)
    step(f"grade a submission of {len(submission)} files", [str(root / "run_autograder")], environment)
    return json.loads((root / "results" / "results.json").read_text())


def check(unsolved: dict, solved: dict) -> None:
    for results in (unsolved, solved):
        if not results["tests"] or any(set(t) != {"name", "score", "max_score", "status", "output"}
                                       for t in results["tests"]):
            raise Failed("results.json lacks Gradescope's tests[] entries")
    part1 = [t for t in unsolved["tests"] if t["name"].startswith("part1.UtsDemo.ChildSees")]
    if not part1 or "blocked by part1.sethostname" not in part1[0]["output"]:
        raise Failed(f"the unsolved submission's part 1 check does not say it is blocked: {part1}")
    failed = [t["name"] for t in solved["tests"] if t["name"].startswith(("part1.", "part2."))
              and t["status"] != "passed"]
    if failed:
        raise Failed(f"the solved submission fails {failed}")
    if not unsolved["score"] < solved["score"]:
        raise Failed(f"unsolved {unsolved['score']} is not below solved {solved['score']}")
    print(f"   unsolved {unsolved['score']}, solved {solved['score']} of "
          f"{sum(t['max_score'] for t in solved['tests'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    arguments = parser.parse_args()
    source = arguments.source_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix="nslab-autograder-test-"))
    # Readable by all, as /autograder is: the rootless checks run the tree's
    # programs as another user, which mkdtemp's 0700 would lock out.
    work.chmod(0o755)
    root = work / "autograder"
    environment = {k: v for k, v in os.environ.items() if k != "NSLAB_REQUIRE_PRIVS"}
    environment["NSLAB_AUTOGRADER_ROOT"] = str(root)
    try:
        step("write the package", [sys.executable, str(source / "tools/autograder.py"),
                                   "--source-dir", str(source), str(work / "autograder.zip")], environment)
        unpack(work / "autograder.zip", root)
        step("set it up as Gradescope does when it builds the image", [str(root / "source/setup.sh")],
             environment)
        exercises = (root / "source/nslab/.nslab-starter").read_text().split()[1::2]
        unsolved = grade(root, {}, environment)
        solved = grade(root, {path: source / path for path in exercises}, environment)
        check(unsolved, solved)
    except Failed as failure:
        print(f"FAILED: {failure}" + (f" (kept {work})" if arguments.keep else ""))
        return 1
    finally:
        if not arguments.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("autograder package: sets up, and grades an unsolved and a solved submission apart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
