#!/usr/bin/env bash
# Part 2 of the tour: the IPC namespace and the checkpoint pipe.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/tour-lib.sh"

# The host's semaphore set and shared memory segment made below, removed on
# every way out of the tour.
SEMAPHORE='' SHARED_MEMORY=''
remove_host_objects() {
  [[ -n $SEMAPHORE ]] && ipcrm -s "$SEMAPHORE"
  [[ -n $SHARED_MEMORY ]] && ipcrm -m "$SHARED_MEMORY"
  return 0
}
trap remove_host_objects EXIT

# show_and_capture CMD...: like show, and keeps the output (stdout and
# stderr) in OUTPUT, so the tour can point at an id the command printed.
show_and_capture() {
  printf '%s$ %s%s\n' "$DIM" "$(quoted "$@")" "$PLAIN"
  OUTPUT=$("$@" 2>&1)
  printf '%s\n' "$OUTPUT"
}

# last_number TEXT: the number at the end of TEXT, as in "Semaphore id: 3".
last_number() { grep -o '[0-9]*$' <<<"$1"; }

heading "Part 2: the IPC namespace and the checkpoint (ipc-checkpoint)"
note "The parent makes a System V queue, then the child waits while the parent 'sets up'."
note "The child's ipcs runs in a new IPC namespace: the parent's queue is not there."
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 500 -- ipcs -q
note ""
note "With --share-ipc the child stays in the parent's IPC namespace and sees the queue:"
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 0 --share-ipc -- ipcs -q

note ""
note "Either way, the parent removes its queue on the way out. With -v, its first"
note "line names the queue's id:"
show_and_capture "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -v -d 0 -- true
queue=$(sed -n 's/.*created System V message queue \([0-9]*\).*/\1/p' <<<"$OUTPUT")
note "That was queue $queue. After the run, the host has no queue $queue any more:"
show ipcs -q -i "$queue"

note ""
note "Semaphore sets and shared memory are System V objects too, and follow the same"
note "rule. Make one of each on the host; ipcmk prints their ids:"
show_and_capture ipcmk -S 1
SEMAPHORE=$(last_number "$OUTPUT")
show_and_capture ipcmk -M 4096
SHARED_MEMORY=$(last_number "$OUTPUT")
note "Semaphore set $SEMAPHORE and segment $SHARED_MEMORY are invisible in a new IPC namespace:"
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 0 -- ipcs -s -m
note "and visible with --share-ipc:"
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 0 --share-ipc -- ipcs -s -m
show ipcrm -s "$SEMAPHORE" -m "$SHARED_MEMORY"
SEMAPHORE='' SHARED_MEMORY=''

note ""
note "The other way round: objects made inside die with the namespace. Inside, the"
note "numbering starts again, so an id alone never says which namespace it is from."
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 0 -- sh -c 'ipcmk -S 1; ipcmk -M 4096'
note "On the host, ipcs does not list them:"
show ipcs -s -m

note ""
note "unshare(1) makes the same namespace by hand: -i is CLONE_NEWIPC."
show "${UNSHARE[@]}" -i sh -c 'ipcmk -Q; ipcs -q'
