#!/usr/bin/env bash
# Part 1 of the tour: the UTS namespace.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/tour-lib.sh"

heading "Part 1: the UTS namespace (uts-demo)"
note "The child gets its own hostname. Watch the host's hostname before and after."
show hostname
show "${AS_ROOT[@]}" "$BIN/uts-demo" -v -n lab-box -- hostname
show hostname
note "Only the 'uts' row says NEW: every other namespace is still shared with the host."
note ""
note "unshare(1) does the same by hand: -u is CLONE_NEWUTS."
show "${UNSHARE[@]}" -u sh -c 'hostname by-hand; hostname'
show hostname
