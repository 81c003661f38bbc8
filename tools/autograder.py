#!/usr/bin/env python3
"""autograder: write a Gradescope autograder package for nslab.

Usage: tools/autograder.py [--source-dir DIR] OUT.zip

The zip follows Gradescope's layout (gradescope-autograders.readthedocs.io,
"Autograder Specifications"): setup.sh and run_autograder at its root, and
the student tree in nslab/. Gradescope unpacks it into /autograder/source,
runs setup.sh once as root while it builds the image (the Debian or Ubuntu
packages, and a first build, so that grading a submission recompiles only
its files), then run_autograder for each submission, which copies the
submission's exercise files into the tree and writes
/autograder/results/results.json with `./lab grade`. NSLAB_AUTOGRADER_ROOT
stands in for /autograder (the grading.autograder test uses it).

The tree is the student tree, not the reference: a file the submission
lacks keeps its stub and scores as not done, and no solution ships.
"""

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

import starter

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image.
set -euo pipefail
cd "${NSLAB_AUTOGRADER_ROOT:-/autograder}/source/nslab"
./lab setup
# Build once here: grading a submission then recompiles only its own files.
./lab build
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission, which it puts in /autograder/submission.
set -euo pipefail
root=${NSLAB_AUTOGRADER_ROOT:-/autograder}
tree=$root/source/nslab
# Only the files that hold exercises come from the submission (at their path
# in the tree, or at its top): the checks, the points and the rest stay as
# shipped. A file the submission lacks keeps its stub: not done.
while read -r exercise path; do
  for candidate in "$root/submission/$path" "$root/submission/${path##*/}"; do
    if [[ -f $candidate ]]; then
      echo "$exercise: using the submission's ${candidate#"$root/submission/"}"
      cp "$candidate" "$tree/$path"
      break
    fi
  done
done <"$tree/.nslab-starter"
mkdir -p "$root/results"
cd "$tree"
# Official grading: a check skipped for lack of privileges is a failure.
NSLAB_REQUIRE_PRIVS=1 ./lab grade --json "$root/results/results.json" || true
"""


def add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16  # a regular file with its permission bits
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="autograder.py", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, metavar="OUT.zip")
    parser.add_argument("--source-dir", type=Path, default=Path(__file__).resolve().parents[1])
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nslab-autograder-") as directory:
        tree = Path(directory) / "nslab"
        try:
            exercises = starter.make_starter(arguments.source_dir.resolve(), tree)
        except starter.MarkerError as error:
            print(f"autograder: {error}", file=sys.stderr)
            return 1
        with zipfile.ZipFile(arguments.out, "w") as archive:
            add(archive, "setup.sh", SETUP.encode(), 0o755)
            add(archive, "run_autograder", RUN.encode(), 0o755)
            for path in sorted(p for p in tree.rglob("*") if p.is_file()):
                add(archive, f"nslab/{path.relative_to(tree)}", path.read_bytes(), path.stat().st_mode & 0o777)
    print(f"autograder: wrote {arguments.out} ({len(exercises)} exercises). Upload it on the "
          "assignment's Configure Autograder page; see the instructors page for what the container needs.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
