#!/usr/bin/env python3
"""The starter tree works, checked from the reference's build in seconds:
every exercise is a TODO with a stub, each file with a stub compiles with
the project's flags and -Werror, and each lab's program, relinked with
those files, stops at its own lab's stub: "not implemented: partN....",
exit status 125.

Usage: starter_test.py --source-dir DIR --build-dir DIR [--jobs N] [--keep]

Only the files the starter changed are compiled, with the commands of the
reference build (compile_commands.json); the programs are relinked with the
build's own link lines (CMakeFiles/*/link.txt), the changed objects swapped
in. Each step prints what it ran, so a failure shows the way there.
"""

import argparse
import json
import os
import shlex
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from steps import Failed, in_work_directory, step

# How to run each program so that it reaches a stub, and the lab whose stub
# that must be: its own, since common/ has none and no lab uses another's.
RUNS = {
    "uts-demo": ("part1", ["-n", "box", "--", "true"]),
    "ipc-checkpoint": ("part2", ["-d", "0", "--", "true"]),
    "invoke_ns": ("part3", ["-i", "no"]),
    "isolate": ("part4", ["--net", "none", "true"]),
}


def stubbed_files(source: Path, student: Path) -> list[str]:
    listing = step("list the exercises", [sys.executable, str(source / "tools/starter.py"), "--list",
                                          "--source-dir", str(source)]).stdout
    files = set()
    for name, where in (line.split() for line in listing.splitlines()):
        path = where.rsplit(":", 1)[0]
        text = (student / path).read_text()
        if f"TODO({name})" not in text or f'not_implemented("{name}"' not in text or "EXERCISE" in text:
            raise Failed(f"{path}: {name} is not a TODO with a stub, or a marker is left")
        files.add(path)
    print(f"   every exercise is a TODO with a stub, in {len(files)} files")
    return sorted(files)


def compile_stubs(source: Path, student: Path, build: Path, work: Path, files: list[str],
                  jobs: int) -> dict[Path, Path]:
    """Compiles each stubbed file as the build does, plus -Werror; returns
    {the reference's object: the student's object}."""
    entries = {e["file"]: e for e in json.loads((build / "compile_commands.json").read_text())}
    swapped, commands = {}, []
    for path in files:
        entry = entries[str(source / path)]
        words = shlex.split(entry["command"])
        at = words.index("-o") + 1
        reference, mine = (Path(entry["directory"]) / words[at]).resolve(), work / "objects" / f"{path}.o"
        mine.parent.mkdir(parents=True, exist_ok=True)
        words[at], swapped[reference] = str(mine), mine
        words = [str(student / path) if w == str(source / path) else
                 w.replace(f"-I{source}/", f"-I{student}/") for w in words]
        words = [w for w in words if w != "-g"]  # debug info: a third of the time, no diagnostics
        commands.append((f"compile the student's {path} with -Werror", words + ["-Werror"],
                         Path(entry["directory"])))
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda command: step(*command), commands))  # list(): re-raises a failure
    return swapped


def relink(build: Path, work: Path, swapped: dict[Path, Path]) -> dict[str, Path]:
    """Relinks every program of build/bin that uses a swapped object."""
    archives = {}
    programs = {}
    for link in sorted(build.glob("**/CMakeFiles/*.dir/link.txt")):
        directory = link.parents[2]
        words = shlex.split(link.read_text())
        out = words.index("-o") + 1 if "-o" in words else 0  # none for a static library
        if not out or (directory / words[out]).resolve().parent != (build / "bin").resolve():
            continue
        changed = False
        for k, word in enumerate(words):
            path = (directory / word).resolve()
            if path in swapped:
                words[k], changed = str(swapped[path]), True
            elif path.suffix == ".a" and any(o.is_relative_to(objects_of(path)) for o in swapped):
                words[k], changed = str(patched_archive(path, work, swapped, archives)), True
        if changed:
            programs[link.parent.name.removesuffix(".dir")] = work / "bin" / Path(words[out]).name
            words[out] = str(programs[link.parent.name.removesuffix(".dir")])
            (work / "bin").mkdir(exist_ok=True)
            step(f"relink {Path(words[out]).name}", words, directory)
    return programs


def objects_of(archive: Path) -> Path:
    """Where CMake puts the objects of a static library: libX.a's in CMakeFiles/X.dir."""
    return archive.parent / "CMakeFiles" / f"{archive.stem.removeprefix('lib')}.dir"


def patched_archive(archive: Path, work: Path, swapped: dict[Path, Path], done: dict) -> Path:
    """A copy of a static library with the swapped objects replaced."""
    if archive not in done:
        copy = work / "lib" / archive.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(archive, copy)
        for reference, student in swapped.items():
            if reference.is_relative_to(objects_of(archive)):
                member = work / "lib" / reference.name
                shutil.copy(student, member)
                step(f"swap {reference.name} in {archive.name}", ["ar", "r", str(copy), str(member)])
        done[archive] = copy
    return done[archive]


def run_stubs(programs: dict[str, Path]) -> None:
    # Without root, parts 1-3 need a user namespace of their own, as in the README.
    prefix = [] if os.geteuid() == 0 else ["unshare", "-Ur"]
    for name, (lab, arguments) in RUNS.items():
        if name not in programs:
            raise Failed(f"{name} uses none of the stubbed files: was it relinked?")
        command = ([] if name == "isolate" else prefix) + [str(programs[name]), *arguments]
        result = step(f"run {name}: it must stop at a {lab} stub", command, input="hello\n",
                      check=False)
        if result.returncode != 125 or f"not implemented: {lab}." not in result.stderr:
            raise Failed(f"{name} exited {result.returncode} with {result.stderr.strip()!r}, expected "
                         f"status 125 and \"not implemented: {lab}....\"")
        print(f"   {result.stderr.strip()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    arguments = parser.parse_args()
    source, build = arguments.source_dir.resolve(), arguments.build_dir.resolve()

    def check(work: Path) -> None:
        step("make the student tree", [sys.executable, str(source / "tools/starter.py"),
                                       "--source-dir", str(source), str(work / "student")])
        files = stubbed_files(source, work / "student")
        swapped = compile_stubs(source, work / "student", build, work, files, arguments.jobs)
        run_stubs(relink(build, work, swapped))

    return in_work_directory("nslab-starter-test-", arguments.keep, check,
                             "starter tree: every stub compiles with -Werror and stops its lab's program")


if __name__ == "__main__":
    sys.exit(main())
