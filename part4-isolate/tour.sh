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
note "With --net loopback there is only lo, and it is up:"
show "$BIN/isolate" --net loopback ip -o link
if [[ $(id -u) -eq 0 ]]; then
  note "As root the default is --net veth: eth0 is paired with a host link, one /30 of"
  note "169.254.0.0/16 between them, and no route anywhere else. The container pings the host end:"
  show "$BIN/isolate" -v sh -c 'ip -o -4 addr show dev eth0; ip route
    a=$(ip -o -4 addr show dev eth0 | sed -E "s/.* inet ([0-9.]+).*/\1/")
    ping -c1 -W1 "${a%.*}.$(( ${a##*.} - 1 ))"'
  note "The pair is gone with the container:"
  show ip -o link
  note "As root, --memory and --pids limit the container through a cgroup of its own."
  note "A shell that doubles a string is killed at 32 MiB (137 = 128 + SIGKILL):"
  status=0
  show "$BIN/isolate" --net none --memory 32m sh -c 'x=a; while :; do x=$x$x; done' || status=$?
  note "(exit status $status)"
  note "A fork bomb stops at 32 processes, and PID 1 carries on:"
  show "$BIN/isolate" --net none --pids 32 sh -c 'sh -c "while sleep 30 & do :; done"; echo "PID 1 is still here"'
fi
note "Root inside is not root over the host. The classic escape, a core_pattern that"
note "runs a payload as host root on the next crash, meets a read-only /proc/sys:"
show "$BIN/isolate" sh -c 'echo "|/payload" > /proc/sys/kernel/core_pattern || echo "blocked: exit $?"'
note "Seccomp: 2 means a seccomp filter is on; CapEff holds Docker's 14 capabilities, no more:"
show "$BIN/isolate" sh -c 'grep Seccomp: /proc/self/status; grep CapEff /proc/self/status'
note "The host's core_pattern never changed:"
show cat /proc/sys/kernel/core_pattern
note "The host's hostname never changed:"
show hostname
