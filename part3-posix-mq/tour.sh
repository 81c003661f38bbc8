#!/usr/bin/env bash
# Part 3 of the tour: a POSIX message queue across the IPC namespace boundary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tools/tour-lib.sh"

# A queue name of our own, so the tour never touches anyone else's queue.
QUEUE=/nslab-tour-$$

heading "Part 3: POSIX message queues and the IPC namespace (invoke_ns)"
note "-i no: the child shares the parent's IPC namespace, finds the queue by its name,"
note "and the message arrives."
show_input "hello from the child" "${AS_ROOT[@]}" "$BIN/invoke_ns" -i no -q "$QUEUE"

note ""
note "-i yes: the child gets a new IPC namespace (see the 'ipc ... NEW' row). Its mqueue"
note "filesystem is empty, so mq_open fails at once and nothing crosses: exit status 1."
show_input "hello from the child" "${AS_ROOT[@]}" "$BIN/invoke_ns" -v -i yes -q "$QUEUE"

note ""
note "The other namespaces combine with it: here the child is PID 1, with its own /proc"
note "and hostname, and runs a command after sending."
show_input "hi" "${AS_ROOT[@]}" "$BIN/invoke_ns" -pmu box -i no -q "$QUEUE" -- \
  sh -c 'echo "PID $$ on $(hostname)"; ps -e'
note "Either way, invoke_ns closed and unlinked $QUEUE before it exited."
