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

# quoted WORD...: the words as a student would type them at the repository
# root, so that a printed command can be pasted as it is. A word with spaces
# or shell characters goes in single quotes; a single quote inside it
# becomes '\'' (end the quotes, an escaped quote, start them again).
quoted() {
  local word words=()
  for word in "${@//$BIN\//./build/bin/}"; do
    if [[ -z $word || $word =~ [^-[:alnum:]_./=:,@%+] ]]; then
      word="'${word//\'/\'\\\'\'}'"
    fi
    words+=("$word")
  done
  printf '%s' "${words[*]}"
}

# show CMD...: print the command as a student would type it, then run it.
show() {
  printf '%s$ %s%s\n' "$DIM" "$(quoted "$@")" "$PLAIN"
  "$@"
}

# show_input TEXT CMD...: like show, with TEXT piped to the command's stdin.
# Prints the exit status when it is not 0, and returns 0 either way.
show_input() {
  local text=$1 status=0
  shift
  printf '%s$ echo %s | %s%s\n' "$DIM" "$(quoted "$text")" "$(quoted "$@")" "$PLAIN"
  printf '%s\n' "$text" | "$@" 2>&1 || status=$?
  if ((status != 0)); then
    note "(exit status $status)"
  fi
}

# As root the labs run directly; otherwise inside a user namespace where we
# are root, which is enough for every namespace parts 1-3 create. UNSHARE is
# unshare(1) for the by-hand steps, with the same -Ur when it is needed.
if [[ $(id -u) -eq 0 ]]; then
  AS_ROOT=() UNSHARE=(unshare)
else
  AS_ROOT=(unshare -Ur) UNSHARE=(unshare -Ur)
fi
