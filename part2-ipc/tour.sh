#!/usr/bin/env bash
# Part 2 of the tour: the IPC namespace and the checkpoint pipe.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/tour-lib.sh"

heading "Part 2: the IPC namespace and the checkpoint (ipc-checkpoint)"
note "The parent makes a System V queue, then the child waits while the parent 'sets up'."
note "The child's ipcs runs in a new IPC namespace: the parent's queue is not there."
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 500 -- ipcs -q
note ""
note "With --share-ipc the child stays in the parent's IPC namespace and sees the queue:"
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 0 --share-ipc -- ipcs -q
note "Either way, the queue is gone from the host afterwards:"
show ipcs -q
