#!/usr/bin/env python3
"""starter: make the student tree of nslab from the reference solution.

Usage: tools/starter.py [-h] [--source-dir DIR] OUT_DIR
       tools/starter.py --list [--source-dir DIR]
       tools/starter.py --doxygen-filter FILE

The reference marks the heart of each lab with a pair of comment lines:

    // BEGIN EXERCISE part1.sethostname: set this UTS namespace's hostname
    nslab::set_hostname(options.hostname);
    // END EXERCISE part1.sethostname

The text after the colon is the hint (optional). The starter copies the
tree to OUT_DIR and replaces each region with a TODO comment that carries
the hint and a stub, nslab::not_implemented("part1.sethostname"), that
compiles and fails loudly at run time. Everything else (the scaffolding,
the tests, the docs, the grader) is copied unchanged.

A region inside a function body is replaced as a whole. A region around
whole function definitions keeps their signatures and comments, and only
their bodies become stubs. Either way the stub mentions the parameters and
file-local helpers that only the removed code used, so the student tree
builds without "unused" warnings even with -Werror.

--list prints every exercise with its file and line. --doxygen-filter
prints FILE without the marker lines: the reference for the sed filter in
docs/Doxyfile.in, which keeps the markers out of the pages.

Exit status: 0 on success, 1 when a marker is malformed, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_SUFFIXES = {".cpp", ".hpp", ".cc", ".h"}
BEGIN = re.compile(
    r"^[ \t]*//[ \t]*BEGIN EXERCISE[ \t]+(?P<name>[\w.-]+)[ \t]*(?::[ \t]*(?P<hint>.*?))?[ \t]*$")
END = re.compile(r"^[ \t]*//[ \t]*END EXERCISE[ \t]+(?P<name>[\w.-]+)[ \t]*$")
ANY_MARKER = re.compile(r"^[ \t]*//[ \t]*(?:BEGIN|END)[ \t]+EXERCISE")
NAME = re.compile(r"part\d+\.[\w-]+")
# The `// [name]` lines that docs quote with \snippet: kept even inside a
# removed region, or the docs build of the student tree would fail.
SNIPPET_MARKER = re.compile(r"^[ \t]*//[ \t]*\[[\w.-]+\][ \t]*$")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# Written at the top of the student tree; tests/grading reads it.
STARTER_NOTE = ".nslab-starter"
WRAP = 100


class MarkerError(Exception):
    """A marker that the starter cannot use, with its file and line."""


@dataclass
class Region:
    """One exercise: the lines from BEGIN to END, both included (0-based)."""
    name: str
    hint: str
    first_line: int
    last_line: int


@dataclass
class Block:
    """One pair of braces in the masked source, and what it belongs to."""
    open: int
    header: str
    header_start: int
    kind: str  # namespace, class, function, block (inside a function), other
    parent: "Block | None"
    close: int = -1
    name: str = ""
    params: list[str] = field(default_factory=list)
    internal: bool = False  # a function no other file can call


@dataclass
class Stub:
    """One place where code is taken out: text[start:end] becomes the stub."""
    region: Region
    start: int
    end: int
    indent: str
    function: Block
    removed: str  # the masked text taken out
    whole_body: bool  # the stub replaces the function's whole body
    args: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)  # snippet marker lines


def find_regions(text: str, path: str) -> list[Region]:
    """The exercise regions of one file, checked: paired, named, not nested."""
    regions: list[Region] = []
    open_region: Region | None = None
    for number, line in enumerate(text.splitlines()):
        where = f"{path}:{number + 1}"
        if begin := BEGIN.match(line):
            if open_region:
                raise MarkerError(f"{where}: BEGIN EXERCISE inside {open_region.name}")
            if not NAME.fullmatch(begin["name"]):
                raise MarkerError(f"{where}: exercise name {begin['name']!r} is not partN.some-name")
            open_region = Region(begin["name"], begin["hint"] or "", number, -1)
        elif end := END.match(line):
            if not open_region or end["name"] != open_region.name:
                raise MarkerError(f"{where}: END EXERCISE {end['name']} without its BEGIN")
            open_region.last_line = number
            regions.append(open_region)
            open_region = None
        elif ANY_MARKER.match(line):
            raise MarkerError(f"{where}: malformed exercise marker: {line.strip()}")
    if open_region:
        raise MarkerError(f"{path}:{open_region.first_line + 1}: "
                          f"BEGIN EXERCISE {open_region.name} has no END")
    return regions


def mask(text: str) -> str:
    """The text with comments, literals and preprocessor lines blanked out.

    Lengths and newlines stay, so offsets match the original; what is left is
    only the code whose braces and names matter.
    """
    out = list(text)
    n = len(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    i = 0
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif c == "#" and text[text.rfind("\n", 0, i) + 1:i].strip() == "":
            end = i
            while True:  # a directive ends at a newline not escaped by "\"
                end = text.find("\n", end)
                if end < 0 or text[end - 1] != "\\":
                    break
                end += 1
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif c == "R" and text.startswith('R"', i) and not _ends_identifier(text, i, raw_prefix=True):
            opening = re.match(r'R"([^()\\\s]{0,16})\(', text[i:])
            if not opening:
                i += 1
                continue
            closing = ")" + opening[1] + '"'
            end = text.find(closing, i + len(opening[0]))
            end = n if end < 0 else end + len(closing)
            blank(i + 2, end - 1)
            i = end
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():
                i += 1  # a digit separator, as in 10'000
                continue
            end = i + 1
            while end < n and text[end] != c and text[end] != "\n":
                end += 2 if text[end] == "\\" else 1
            blank(i + 1, end)
            i = end + 1
        else:
            i += 1
    return "".join(out)


def _ends_identifier(text: str, i: int, raw_prefix: bool) -> bool:
    """True when text[i] continues an identifier (so R"..." is not a raw string)."""
    if i == 0:
        return False
    before = text[i - 1]
    if raw_prefix and before in "uUL8":
        return i >= 2 and (text[i - 2].isalnum() or text[i - 2] == "_")
    return before.isalnum() or before == "_"


def _top_level(text: str, char: str) -> list[int]:
    """Positions of \\p char outside (), [] and {} in \\p text."""
    depth, found = 0, []
    for k, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == char and depth == 0:
            found.append(k)
    return found


def _is_initializer(header: str) -> bool:
    for k in _top_level(header, "="):
        neighbours = header[k - 1:k] + header[k + 1:k + 2]
        if "=" in neighbours or header[k - 1:k] in ("!", "<", ">"):
            continue  # ==, !=, <=, >=
        if re.search(r"\boperator\s*$", header[:k]):
            continue
        return True
    return False


def _classify(header: str, parent: Block | None) -> str:
    h = header.strip()
    if parent and parent.kind in ("function", "block"):
        return "block"
    if re.match(r"(inline\s+)?namespace\b", h) or re.match(r'extern\s*"', h):
        return "namespace"
    if "(" not in h and re.search(r"\b(class|struct|union|enum)\b", h):
        return "class"
    if "(" in h and not _is_initializer(h):
        return "function"
    return "other"


def _parameter_names(parameters: str) -> list[str]:
    """The names in a parameter list; unnamed parameters have none."""
    names = []
    for start, end in _split_top_level(parameters):
        declaration = parameters[start:end]
        equals = _top_level(declaration, "=")
        if equals:
            declaration = declaration[:equals[0]]
        declaration = re.sub(r"\[[^\]]*\]\s*$", "", declaration.strip())
        tokens = re.findall(r"[A-Za-z_]\w*(?:\s*::\s*[A-Za-z_]\w*)*|\S", declaration)
        if len(tokens) < 2 or not IDENTIFIER.fullmatch(tokens[-1]):
            continue
        if tokens[-1] in CXX_WORDS or all(t in ("const", "volatile") for t in tokens[:-1]):
            continue
        names.append(tokens[-1])
    return names


def _split_top_level(text: str) -> list[tuple[int, int]]:
    """Spans of \\p text between top-level commas (angle brackets count)."""
    spans, depth, start = [], 0, 0
    for k, c in enumerate(text):
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        elif c == "," and depth == 0:
            spans.append((start, k))
            start = k + 1
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


CXX_WORDS = {
    "int", "long", "short", "char", "bool", "float", "double", "void", "unsigned", "signed",
    "auto", "const", "volatile", "wchar_t", "char8_t", "char16_t", "char32_t",
}


def _describe_function(block: Block) -> None:
    """Fills in the function's name, parameter names and linkage."""
    header = block.header
    depth, open_paren = 0, -1
    for k, c in enumerate(header):
        if c == "(" and depth == 0:
            open_paren = k
            break
        if c in "<[":
            depth += 1
        elif c in ">]":
            depth -= 1
    if open_paren < 0:
        return
    close_paren, depth = -1, 0
    for k in range(open_paren, len(header)):
        if header[k] == "(":
            depth += 1
        elif header[k] == ")":
            depth -= 1
            if depth == 0:
                close_paren = k
                break
    before = header[:open_paren].rstrip()
    name = re.search(r"(::\s*)?(~?[A-Za-z_]\w*)\s*$", before)
    block.name = name[2] if name else ""
    block.params = _parameter_names(header[open_paren + 1:close_paren]) if close_paren > 0 else []
    qualified = bool(name and name[1])
    in_anonymous = False
    scope = block.parent
    while scope:
        if scope.kind == "namespace" and scope.header.strip() in ("namespace", "inline namespace"):
            in_anonymous = True
        scope = scope.parent
    at_namespace_scope = block.parent is None or block.parent.kind == "namespace"
    block.internal = not qualified and at_namespace_scope and (
        in_anonymous or re.search(r"\bstatic\b", header) is not None)


def parse_blocks(masked: str) -> list[Block]:
    """Every brace pair of the masked text, with its kind, in source order."""
    stack: list[Block] = []
    blocks: list[Block] = []
    boundary = 0
    for k, c in enumerate(masked):
        if c == ";":
            boundary = k + 1
        elif c == "{":
            parent = stack[-1] if stack else None
            header = masked[boundary:k]
            block = Block(k, header, boundary, _classify(header, parent), parent)
            if block.kind == "function":
                _describe_function(block)
            stack.append(block)
            blocks.append(block)
            boundary = k + 1
        elif c == "}":
            if stack:
                stack.pop().close = k
            boundary = k + 1
    return blocks


def _line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for k, c in enumerate(text):
        if c == "\n":
            offsets.append(k + 1)
    return offsets


def _innermost_function(blocks: list[Block], position: int) -> Block | None:
    found = None
    for block in blocks:
        if block.open < position < block.close and block.kind == "function":
            found = block  # later blocks are nested deeper
    return found


def _plan_stubs(text: str, masked: str, blocks: list[Block], region: Region) -> list[Stub]:
    offsets = _line_offsets(text)
    start = offsets[region.first_line]
    end = offsets[region.last_line + 1] if region.last_line + 1 < len(offsets) else len(text)
    function = _innermost_function(blocks, start)
    if function:  # inside a body: the whole region goes
        indent = re.match(r"[ \t]*", text[start:])[0]
        return [Stub(region, start, end, indent, function, masked[start:end], False,
                     keep=_snippet_lines(text[start:end]))]
    stubs = []
    for block in blocks:
        if block.kind == "function" and start < block.open < end and block.close < end and (
                block.parent is None or block.parent.kind in ("namespace", "class")):
            header_line = text[_line_start(text, block.header_start + len(block.header)
                                           - len(block.header.lstrip())):]
            indent = re.match(r"[ \t]*", header_line)[0] + "  "
            body = text[block.open + 1:block.close]
            stubs.append(Stub(region, block.open + 1, block.close, indent, block,
                              masked[block.open + 1:block.close], True, keep=_snippet_lines(body)))
    if not stubs:
        raise MarkerError(f"{region.first_line + 1}: {region.name} is neither inside a function "
                          "body nor around whole function definitions")
    return stubs


def _snippet_lines(removed: str) -> list[str]:
    return [line.strip() for line in removed.splitlines() if SNIPPET_MARKER.match(line)]


def _todo_lines(region: Region, indent: str) -> list[str]:
    part = region.name.split(".")[0]
    hint = region.hint or f"write this exercise; the {part} tutorial page says what it must do"
    lines = textwrap.wrap(hint, width=max(40, WRAP - len(indent) - 12 - len(region.name)),
                          break_on_hyphens=False)
    first = f"{indent}// TODO({region.name}): {lines[0]}"
    return [first] + [f"{indent}//   {line}" for line in lines[1:]]


def _stub_text(stub: Stub) -> str:
    """The replacement for one stub, as lines ending in a newline."""
    args = "".join(f", {name}" for name in stub.args)
    openers = [line for k, line in enumerate(stub.keep) if stub.keep.index(line) == k]
    closers = stub.keep[len(openers):]
    lines = [stub.indent + line for line in openers]
    lines += _todo_lines(stub.region, stub.indent)
    lines += _call_lines(stub)
    lines += [stub.indent + line for line in closers]
    text = "\n".join(lines) + "\n"
    if stub.whole_body:
        closing_indent = stub.indent[:-2]
        return "\n" + text + closing_indent
    return text


def _call_lines(stub: Stub) -> list[str]:
    """The not_implemented() call, wrapped after a comma when it is long."""
    words = [f'"{stub.region.name}"'] + stub.args
    lines = [f"{stub.indent}nslab::not_implemented("]
    continuation = " " * len(lines[0])
    for k, word in enumerate(words):
        word += ");" if k == len(words) - 1 else ","
        if k > 0 and len(lines[-1]) + 1 + len(word) > WRAP:
            lines.append(continuation + word)
        else:
            lines[-1] += (" " if k > 0 else "") + word
    return lines


def _apply(text: str, stubs: list[Stub]) -> str:
    for stub in sorted(stubs, key=lambda s: s.start, reverse=True):
        text = text[:stub.start] + _stub_text(stub) + text[stub.end:]
    return without_markers(text)


def _words(masked: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in IDENTIFIER.findall(masked):
        counts[word] = counts.get(word, 0) + 1
    return counts


def _mention_orphans(text: str, masked: str, blocks: list[Block], stubs: list[Stub]) -> None:
    """Adds to each stub the names that its removed code alone used: the
    function's parameters, its local variables declared before the stub, and
    file-local helper functions. Left unused, -Werror fails the build."""
    draft_masked = mask(_apply(text, stubs))
    draft_blocks = parse_blocks(draft_masked)
    before, after = _words(masked), _words(draft_masked)
    internal = {b.name for b in blocks if b.kind == "function" and b.internal and b.name}
    for stub in stubs:
        removed = list(dict.fromkeys(IDENTIFIER.findall(stub.removed)))  # in order, once each
        old_body = masked[stub.function.open + 1:stub.function.close]
        new_body = _new_body(draft_blocks, draft_masked, stub)
        new_words, old_words = _words(new_body), _words(old_body)
        stub_at = new_body.rfind("not_implemented")
        for param in stub.function.params:
            if param in removed and param not in new_words:
                stub.args.append(param)
        for name in removed:
            if name in stub.function.params or new_words.get(name) != 1 or old_words.get(name, 0) < 2:
                continue
            declared = re.search(rf"\b{name}\b", new_body)
            if declared and declared.start() < stub_at and _declares(new_body, *declared.span()):
                stub.args.append(name)
        for name in sorted(internal & set(removed)):
            if after.get(name, 0) <= 1 < before.get(name, 0) and not any(name in s.args for s in stubs):
                stub.args.append(name)


def _declares(body: str, start: int, end: int) -> bool:
    """True when the name at body[start:end] reads like a declaration:
    `Type name =`, `Type name{`, `Type& name(`, `Type name;`."""
    preceding = body[:start].rstrip()
    following = body[end:].lstrip()[:1]
    if not preceding or following not in ("=", "{", "(", ";", "[", ":"):
        return False
    if preceding.endswith(("::", ".", "->")):
        return False
    if not (preceding[-1] in "&*>_" or preceding[-1].isalnum()):
        return False
    keyword = re.search(r"(\w+)$", preceding)
    statements = ("return", "case", "new", "delete", "throw", "co_return", "else", "do")
    return not (keyword and keyword[1] in statements)


def _new_body(draft_blocks: list[Block], draft_masked: str, stub: Stub) -> str:
    """The masked body, in the draft, of the function that holds \\p stub."""
    for block in draft_blocks:
        same = block.name == stub.function.name and block.params == stub.function.params
        if block.kind == "function" and same:
            return draft_masked[block.open + 1:block.close]
    return ""


def _add_include(text: str) -> str:
    include = '#include "nslab/exercise.hpp"'
    if include in text:
        return text
    lines = text.splitlines(keepends=True)
    includes = [k for k, line in enumerate(lines) if line.startswith("#include")]
    if not includes:
        return include + "\n" + text
    ours = [k for k in includes if lines[k].startswith('#include "nslab/')]
    after = (ours or [k for k in includes if '"' in lines[k]] or includes)[-1]
    lines.insert(after + 1, include + "\n")
    return "".join(lines)


def strip_exercises(text: str, path: str) -> tuple[str, list[Region]]:
    """The student version of one file, and the exercises taken out of it."""
    regions = find_regions(text, path)
    if not regions:
        return text, []
    masked = mask(text)
    blocks = parse_blocks(masked)
    stubs = []
    for region in regions:
        try:
            stubs += _plan_stubs(text, masked, blocks, region)
        except MarkerError as error:
            raise MarkerError(f"{path}:{error}") from None
    _mention_orphans(text, masked, blocks, stubs)
    return _add_include(_apply(text, stubs)), regions


def without_markers(text: str) -> str:
    """The text minus the BEGIN/END EXERCISE lines (for Doxygen)."""
    return "".join(line for line in text.splitlines(keepends=True) if not ANY_MARKER.match(line))


def git(source: Path, *arguments: str) -> subprocess.CompletedProcess:
    # safe.directory: the tree may belong to someone else (root's checkout,
    # graded as nobody), which git otherwise refuses to read.
    return subprocess.run(["git", "-c", f"safe.directory={source}", "-C", str(source), *arguments],
                          capture_output=True, text=True)


def tree_files(source: Path) -> list[Path]:
    """The files of the reference, relative: git's view when there is one
    (tracked files plus new ones it does not ignore), else every file but
    the build trees."""
    if (source / ".git").exists():
        listing = git(source, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        if listing.returncode == 0:
            files = sorted({Path(name) for name in listing.stdout.split("\0") if name})
            return [f for f in files if (source / f).is_file()]
    found = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        top = relative.parts[0]
        if path.is_file() and not top.startswith(("build", ".git")) and "__pycache__" not in relative.parts:
            found.append(relative)
    return found


def lab_order(exercise: tuple[Region, Path]) -> tuple[int, str, int]:
    """Sorts exercises by lab number, then by where they are."""
    region, path = exercise
    return int(region.name.split(".")[0].removeprefix("part")), str(path), region.first_line


def exercises(source: Path) -> list[tuple[Region, Path]]:
    """Every exercise of the reference, with its file, in lab order."""
    found = []
    for relative in tree_files(source):
        if relative.suffix in SOURCE_SUFFIXES:
            text = (source / relative).read_text()
            found += [(region, relative) for region in find_regions(text, str(relative))]
    return sorted(found, key=lab_order)


def make_starter(source: Path, out: Path) -> list[tuple[Region, Path]]:
    """Writes the student tree to \\p out; returns the exercises it took out."""
    files = tree_files(source)
    taken: list[tuple[Region, Path]] = []
    converted: dict[Path, str] = {}
    for relative in files:  # convert everything first: a bad marker writes nothing
        if relative.suffix in SOURCE_SUFFIXES:
            text = (source / relative).read_text()
            student, regions = strip_exercises(text, str(relative))
            if regions:
                converted[relative] = student
                taken += [(region, relative) for region in regions]
    out.mkdir(parents=True, exist_ok=True)
    for relative in files:
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative in converted:
            target.write_text(converted[relative])
            shutil.copymode(source / relative, target)
        else:
            shutil.copy2(source / relative, target)
    listing = "".join(f"{region.name}  {path}\n" for region, path in taken)
    (out / STARTER_NOTE).write_text(
        "This is the student tree of nslab, made by `./lab starter`.\n"
        "Each exercise below is a TODO with a stub that fails with \"not implemented\".\n\n" + listing)
    return sorted(taken, key=lab_order)


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="starter.py", description="Make the student tree of nslab from the reference.",
        epilog="Exit status: 0 on success, 1 when a marker is malformed, 2 on bad usage.")
    parser.add_argument("out_dir", nargs="?", type=Path,
                        help="where to write the student tree (must not exist, or be empty)")
    parser.add_argument("--source-dir", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the reference tree (default: the one this script is in)")
    parser.add_argument("--list", action="store_true", help="list the exercises and where they are")
    parser.add_argument("--doxygen-filter", type=Path, metavar="FILE",
                        help="print FILE without the exercise markers")
    arguments = parser.parse_args(argv)
    if not (arguments.list or arguments.doxygen_filter or arguments.out_dir):
        parser.error("OUT_DIR is required")
    return arguments


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    if arguments.doxygen_filter:
        sys.stdout.write(without_markers(arguments.doxygen_filter.read_text()))
        return 0
    source = arguments.source_dir.resolve()
    try:
        if arguments.list:
            for region, path in exercises(source):
                print(f"{region.name:28} {path}:{region.first_line + 1}")
            return 0
        out = arguments.out_dir.resolve()
        if out.exists() and any(out.iterdir()):
            print(f"starter: {out} already exists and is not empty", file=sys.stderr)
            return 2
        if out == source or source in out.parents and not _ignored_by_git(source, out):
            print(f"starter: {out} is inside the reference tree; choose a directory outside it, "
                  "or one that git ignores (such as build/starter)", file=sys.stderr)
            return 2
        taken = make_starter(source, out)
    except MarkerError as error:
        print(f"starter: {error}", file=sys.stderr)
        return 1
    for region, path in taken:
        print(f"  TODO {region.name:28} {path}")
    print(f"starter: wrote the student tree to {out} ({len(taken)} exercises taken out)")
    print(f"starter: build it with: cd {out} && ./lab build && ./lab grade")
    return 0


def _ignored_by_git(source: Path, path: Path) -> bool:
    if not (source / ".git").exists():
        return False
    return git(source, "check-ignore", "-q", str(path.relative_to(source)) + "/").returncode == 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
