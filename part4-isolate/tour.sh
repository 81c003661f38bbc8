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
fi
note "The host's hostname never changed:"
show hostname
