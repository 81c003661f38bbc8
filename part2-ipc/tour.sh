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
note "The parent makes its queue in an IPC namespace of its own, never in the host's:"
note "a queue there would survive a kill -9 of the parent, while this namespace, and"
note "the queue in it, end with the run. With -v the parent says so:"
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -v -d 0 -- true
note "The host's list of queues never held it:"
show ipcs -q

note ""
note "Semaphore sets and shared memory are System V objects too, and follow the same"
note "rule. Make one of each on the host; ipcmk prints their ids:"
show_and_capture ipcmk -S 1
SEMAPHORE=$(last_number "$OUTPUT")
show_and_capture ipcmk -M 4096
SHARED_MEMORY=$(last_number "$OUTPUT")
note "Semaphore set $SEMAPHORE and segment $SHARED_MEMORY are on the host, so the host lists them:"
show ipcs -s -m
note "A new IPC namespace does not:"
show "${AS_ROOT[@]}" "$BIN/ipc-checkpoint" -d 0 -- ipcs -s -m
note "and neither does --share-ipc: the child then shares the parent's namespace, which"
note "is not the host's either."
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
