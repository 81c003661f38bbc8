# Shared helpers for the part*/tour.sh scripts that `./lab run` calls.
# Each tour prints what to look at, the command it runs, and its real output.

BIN=${1:?usage: tour.sh BIN_DIR}

# Bold headings and dim commands on a terminal; plain text in logs.
if [[ -t 1 ]]; then
  BOLD=$'\033[1m' DIM=$'\033[2m' PLAIN=$'\033[0m'
else
  BOLD='' DIM='' PLAIN=''
fi

heading() { printf '\n%s== %s ==%s\n' "$BOLD" "$*" "$PLAIN"; }
note() { printf '%s\n' "$*"; }

# show CMD...: print the command as a student would type it, then run it.
show() {
  printf '%s$ %s%s\n' "$DIM" "${*//$BIN\//./build/bin/}" "$PLAIN"
  "$@"
}

# As root the labs run directly; otherwise inside a user namespace where we
# are root, which is enough for every namespace parts 1-3 create.
if [[ $(id -u) -eq 0 ]]; then
  AS_ROOT=()
else
  AS_ROOT=(unshare -Ur)
fi
