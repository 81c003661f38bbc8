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
note "Either way, the parent removes its queue on the way out: with -v it prints the"
note "queue's id, and afterwards ipcs cannot find that id."
id=$("${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -v -d 0 -- true |
  sed -n 's/.*created System V message queue \([0-9]*\).*/\1/p')
show ipcs -q -i "$id"
