#!/usr/bin/env python3
"""The starter tree works: it builds with -Werror, the grader gives full
marks for the infrastructure, fails every lab that lost an exercise, and
exits non-zero.

Usage: starter_test.py --source-dir DIR [--jobs N] [--keep]

Everything happens in a temporary directory (removed afterwards unless
--keep): tools/starter.py writes the student tree there, cmake builds it,
tools/grade.py grades it. Each step prints what it ran, so a failure shows
the way there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path


class Failed(Exception):
    """One expectation about the starter tree did not hold."""


def step(description: str, command: list[str], expect: tuple[int, ...] = (0,), **options) -> str:
    print(f"== {description}\n$ {' '.join(command)}", flush=True)
    result = subprocess.run(command, capture_output=True, text=True, errors="replace", **options)
    output = result.stdout + result.stderr
    if result.returncode not in expect:
        print(output[-6000:])
        raise Failed(f"{description}: exit status {result.returncode}, expected {expect}")
    return output


def check_tree(source: Path, student: Path) -> list[tuple[str, str]]:
    """The exercises of the reference, each now a TODO in the student tree."""
    listing = step("list the exercises of the reference",
                   [sys.executable, str(source / "tools" / "starter.py"), "--list",
                    "--source-dir", str(source)])
    exercises = [tuple(line.split()) for line in listing.splitlines() if line.strip()]
    if not exercises:
        raise Failed("the reference has no BEGIN EXERCISE markers")
    for name, where in exercises:
        path = student / where.rsplit(":", 1)[0]
        text = path.read_text()
        if f"TODO({name})" not in text or f'not_implemented("{name}"' not in text:
            raise Failed(f"{path}: no TODO and stub for {name}")
        if "EXERCISE" in text:
            raise Failed(f"{path}: an exercise marker is left")
    print(f"   {len(exercises)} exercises are TODOs with stubs")
    return exercises


def check_grade(source: Path, results: dict, exercises: list[tuple[str, str]]) -> None:
    with (source / "tools" / "points.toml").open("rb") as file:
        settings = tomllib.load(file).get("labels", {})
    infrastructure = set(settings.get("infrastructure", []))
    tests = results["tests"]
    broken = [t["name"] for t in tests
              if t["name"].split(".")[0] in infrastructure and t["status"] != "passed"]
    if broken:
        raise Failed("infrastructure tests fail in the starter tree: " + ", ".join(broken))
    maximum = sum(t["max_score"] for t in tests)
    if not results["score"] < maximum:
        raise Failed(f"the starter tree scores {results['score']}/{maximum}: "
                     "full marks without the exercises")
    for part in sorted({name.split(".")[0] for name, _ in exercises}):
        mine = [t for t in tests if t["name"].startswith(part + ".")]
        if mine and all(t["status"] == "passed" for t in mine):
            raise Failed(f"{part} lost its exercises but every one of its tests passes")
    reached = sorted(name for name, _ in exercises
                     if any(f"not implemented: {name}" in t["output"] for t in tests))
    print(f"   score {results['score']}/{maximum}; infrastructure passes; every lab with an exercise fails")
    print(f"   failure output names: {', '.join(reached) or 'none'} (an exercise can be hidden behind an "
          "earlier one, such as part 2's checkpoint, which parts 3 and 4 use)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    arguments = parser.parse_args()
    source = arguments.source_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix="nslab-starter-test-"))
    student, build = work / "student", work / "build"
    environment = {k: v for k, v in os.environ.items() if k != "NSLAB_REQUIRE_PRIVS"}
    try:
        step("make the student tree", [sys.executable, str(source / "tools" / "starter.py"),
                                       "--source-dir", str(source), str(student)])
        exercises = check_tree(source, student)
        step("configure it as CI does, warnings as errors",
             ["cmake", "-S", str(student), "-B", str(build), "-DNSLAB_WERROR=ON"])
        step("build it: the stubs must compile without a warning",
             ["cmake", "--build", str(build), "-j", str(arguments.jobs)])
        step("grade it: below full marks means exit status 1",
             [sys.executable, str(student / "tools" / "grade.py"), "--source-dir", str(student),
              "--build-dir", str(build), "--json", str(work / "results.json"), "--jobs", str(arguments.jobs)],
             expect=(1,), env=environment)
        check_grade(source, json.loads((work / "results.json").read_text()), exercises)
    except Failed as failure:
        print(f"FAILED: {failure}" + (f" (kept {work})" if arguments.keep else ""))
        return 1
    finally:
        if not arguments.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("starter tree: builds, scores below full, infrastructure full")
    return 0


if __name__ == "__main__":
    sys.exit(main())
