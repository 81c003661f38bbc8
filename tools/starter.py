#!/usr/bin/env python3
"""starter: make the student tree of nslab from the reference solution.

An exercise is a region from `// BEGIN EXERCISE part1.sethostname` to
`// END EXERCISE part1.sethostname` around the solution, holding the lines the
student gets instead, each behind `// STUB: ` (a TODO, then a call to
nslab::not_implemented that names whatever only the solution used, so the
tree builds with -Werror). The student tree has the STUB lines, unprefixed, in
place of each region: line replacement, no C++ parsing. Its README.md lists the
exercises; .nslab-starter marks it. --doxygen-filter drops the marker and STUB
lines, as docs/Doxyfile.in's filter does. Exit: 0; 1 on a bad marker; 2 on bad usage.
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

SOURCE_SUFFIXES = {".cpp", ".hpp"}
BEGIN = re.compile(r"^\s*// BEGIN EXERCISE (part\d+\.[\w-]+)$")
END = re.compile(r"^\s*// END EXERCISE (part\d+\.[\w-]+)$")
STUB = re.compile(r"^(\s*)// STUB: ?(.*)$")
MARKER = re.compile(r"^\s*//\s*((BEGIN|END)\s+EXERCISE|STUB:)")  # as docs/Doxyfile.in's filter
INCLUDE = '#include "nslab/exercise.hpp"'


class MarkerError(Exception):
    """A marker the starter cannot use, with its file and line."""


def student_lines(text: str, path: str) -> tuple[list[str], list[tuple[str, str, int]]]:
    """The student version of one file's lines, and its exercises (name, file, line)."""
    out, found, stub, name = [], [], [], None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        begin, end, stub_line = BEGIN.match(line), END.match(line), STUB.match(line)
        if begin and not name:
            name, stub = begin[1], []
            found.append((name, path, number))
        elif end and end[1] == name:
            if not any(f'not_implemented("{name}"' in s for s in stub):
                raise MarkerError(f'{path}:{number}: {name} has no // STUB: line calling '
                                  f'nslab::not_implemented("{name}", ...)')
            out, name = out + stub, None
        elif stub_line and name:
            stub.append(stub_line[1] + stub_line[2] + "\n")
        elif MARKER.match(line):
            raise MarkerError(f"{path}:{number}: misplaced or malformed marker (the format: "
                              f"tools/starter.py --help): {line.strip()}")
        elif not name:
            out.append(line)
    if name:
        raise MarkerError(f"{path}: BEGIN EXERCISE {name} has no END")
    return out, found


def with_include(lines: list[str]) -> str:
    """The file, with the stub's header after its last include of the project's."""
    ours = [k for k, line in enumerate(lines) if line.startswith('#include "')]
    if INCLUDE + "\n" not in lines:
        lines.insert(ours[-1] + 1 if ours else 0, INCLUDE + "\n")
    return "".join(lines)


def git(source: Path, *arguments: str) -> subprocess.CompletedProcess:
    # safe.directory: git refuses a tree someone else owns (root's, graded as nobody).
    return subprocess.run(["git", "-c", f"safe.directory={source}", "-C", str(source), *arguments],
                          capture_output=True, text=True)


def tree_files(source: Path) -> list[Path]:
    """The reference's files, relative: git's (tracked or not ignored), or all but build/."""
    listing = git(source, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if (source / ".git").exists() and listing.returncode == 0:
        files = sorted({Path(name) for name in listing.stdout.split("\0") if name})
        return [f for f in files if (source / f).is_file()]
    found = [p.relative_to(source) for p in sorted(source.rglob("*")) if p.is_file()]
    return [f for f in found if not f.parts[0].startswith(("build", ".git")) and "__pycache__" not in f.parts]


def convert(source: Path) -> tuple[dict[Path, str], list[tuple[str, str, int]]]:
    """The student text of each file with exercises, and the exercises in lab order."""
    converted, exercises = {}, []
    for relative in tree_files(source):
        if relative.suffix in SOURCE_SUFFIXES:
            lines, found = student_lines((source / relative).read_text(), str(relative))
            if found:
                converted[relative], exercises = with_include(lines), exercises + found
    return converted, sorted(exercises, key=lambda e: (e[0].split(".")[0], e[1], e[2]))


def student_readme(exercises: list[tuple[str, str, int]]) -> str:
    rows = "".join(f"{k}. `{name}` in `{path}`\n" for k, (name, path, _) in enumerate(exercises, 1))
    return ("# nslab: the student tree\n\nEach exercise is a `TODO` with a stub that fails with "
            "\"not implemented\". Do them in this order, with the part's page (`./lab docs`):\n\n"
            f"{rows}\n`./lab run` runs every part; `./lab grade` scores your work (`-v`: each "
            "run's output).\n\n---\n\n")


def make_starter(source: Path, out: Path) -> list[tuple[str, str, int]]:
    converted, exercises = convert(source)
    converted[Path("README.md")] = student_readme(exercises) + (source / "README.md").read_text()
    for relative in tree_files(source):
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, out / relative)
        if relative in converted:
            (out / relative).write_text(converted[relative])
    (out / ".nslab-starter").write_text("".join(f"{name}  {path}\n" for name, path, _ in exercises))
    return exercises


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="starter.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", nargs="?", type=Path, help="a new or empty directory")
    parser.add_argument("--source-dir", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--list", action="store_true", help="list the exercises and where they are")
    parser.add_argument("--doxygen-filter", type=Path, metavar="FILE",
                        help="print FILE without the exercise markers and stubs")
    arguments = parser.parse_args(argv)
    source, out = arguments.source_dir.resolve(), arguments.out_dir
    if arguments.doxygen_filter:
        lines = arguments.doxygen_filter.read_text().splitlines(keepends=True)
        sys.stdout.write("".join(line for line in lines if not MARKER.match(line)))
        return 0
    if not arguments.list and not out:
        parser.error("OUT_DIR is required")
    if out and (out := out.resolve()).exists() and any(out.iterdir()):
        parser.error(f"{out} already exists and is not empty")
    if out and (out == source or source in out.parents) and git(
            source, "check-ignore", "-q", str(out.relative_to(source)) + "/").returncode != 0:
        parser.error(f"{out} is inside the reference tree; choose a directory outside it, "
                     "or one that git ignores (such as build/starter)")
    try:
        exercises = convert(source)[1] if arguments.list else make_starter(source, out)
    except MarkerError as error:
        print(f"starter: {error}", file=sys.stderr)
        return 1
    for name, path, line in exercises:
        print(f"{name:28} {path}:{line}" if arguments.list else f"  TODO {name:28} {path}")
    if not arguments.list:
        print(f"starter: wrote the student tree ({len(exercises)} exercises) to {out}: cd there, "
              "then ./lab build && ./lab grade")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
