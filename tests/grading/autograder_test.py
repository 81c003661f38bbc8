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
import shutil
import sys
import zipfile
from pathlib import Path

from steps import Failed, in_work_directory, step


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
    step(f"grade a submission of {len(submission)} files", [str(root / "run_autograder")],
         env=environment, timeout=1500)
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

    def check_package(work: Path) -> None:
        # Readable by all, as /autograder is: the rootless checks run the
        # tree's programs as another user, which mkdtemp's 0700 would lock out.
        work.chmod(0o755)
        root = work / "autograder"
        environment = {k: v for k, v in os.environ.items() if k != "NSLAB_REQUIRE_PRIVS"}
        environment["NSLAB_AUTOGRADER_ROOT"] = str(root)
        step("write the package", [sys.executable, str(source / "tools/autograder.py"),
                                   "--source-dir", str(source), str(work / "autograder.zip")],
             env=environment, timeout=1500)
        unpack(work / "autograder.zip", root)
        step("set it up as Gradescope does when it builds the image", [str(root / "source/setup.sh")],
             env=environment, timeout=1500)
        exercises = (root / "source/nslab/.nslab-starter").read_text().split()[1::2]
        unsolved = grade(root, {}, environment)
        solved = grade(root, {path: source / path for path in exercises}, environment)
        check(unsolved, solved)

    return in_work_directory("nslab-autograder-test-", arguments.keep, check_package,
                             "autograder package: sets up, and grades an unsolved and a solved submission apart")

if __name__ == "__main__":
    sys.exit(main())
