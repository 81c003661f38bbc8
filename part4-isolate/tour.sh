#!/usr/bin/env bash
# Part 4 of the tour: isolate, every namespace at once. isolate makes its own
# user namespace, so it runs the same way as root and as any other user.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/tour-lib.sh"

heading "Part 4: a small docker run (isolate)"
note "-v times each setup step in microseconds and shows which namespaces are NEW."
show "$BIN/isolate" -v true
note "Inside, the command is PID 1, ps sees only the container, and you are root."
show "$BIN/isolate" -H lab-box sh -c 'echo "my pid: $$"; hostname; id; ps'
note "Only the container's own mounts: no trace of the host's."
show "$BIN/isolate" cat /proc/self/mountinfo
note "Only lo, and it is up. The host's hostname never changed:"
show "$BIN/isolate" ip -o link
show hostname
