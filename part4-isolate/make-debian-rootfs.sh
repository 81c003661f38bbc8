#!/bin/sh
# Builds the Debian root filesystem that part 4's distribution checks run in:
# Debian 12 (bookworm), --variant=minbase (apt, dpkg, coreutils, libc-bin),
# from the Debian packages apt on this machine is set up to use.
# Usage: make-debian-rootfs.sh ROOTFS
#
# Built once per build directory: ROOTFS/.nslab-complete records the
# checksum of this script, and a run that finds it does nothing. When the
# tree cannot be built (not root, no mmdebstrap, no Debian mirror in reach),
# ROOTFS.skip says why, the build goes on, and the checks skip with that
# reason; under CI=true that is an error instead, because CI must run them.
# Like make-rootfs.sh, it builds beside ROOTFS and moves into place at the
# end, so a failed build never leaves half a tree.
set -eu

rootfs=$1
staging=$rootfs.new
reason_file=$rootfs.skip
log=$rootfs.log
version=$(cksum < "$0")

# One build at a time: a second one would delete the first one's staging
# tree while mmdebstrap has /proc and /sys mounted in it.
exec 9> "$rootfs.lock"
flock 9
if [ -f "$rootfs/.nslab-complete" ] && [ "$(cat "$rootfs/.nslab-complete")" = "$version" ]; then
  exit 0
fi

skip() {
  echo "$1" > "$reason_file"
  echo "make-debian-rootfs.sh: not built: $1" >&2
  if [ "${CI:-}" = true ]; then
    exit 1
  fi
  exit 0
}

if [ "$(id -u)" -ne 0 ]; then
  skip "building the Debian rootfs needs root (mmdebstrap's root mode); run ./lab build as root once"
fi
if ! command -v mmdebstrap >/dev/null 2>&1; then
  skip "mmdebstrap is not installed (apt-get install mmdebstrap)"
fi

echo "make-debian-rootfs.sh: building $rootfs with mmdebstrap (minutes; log: $log)" >&2
rm -rf --one-file-system "$staging" "$reason_file"
if ! mmdebstrap --variant=minbase --quiet bookworm "$staging" > "$log" 2>&1; then
  rm -rf --one-file-system "$staging"
  skip "mmdebstrap --variant=minbase bookworm failed (is a Debian mirror reachable?); see $log"
fi
# isolate mounts a /dev of its own over this one. Its symbolic links
# (dev/fd -> /proc/self/fd) would only make a loop for any tool that walks
# the build tree, as Doxygen does to find the sources the pages quote.
find "$staging/dev" -mindepth 1 -maxdepth 1 -type l -delete
echo "$version" > "$staging/.nslab-complete"
rm -rf --one-file-system "$rootfs"
mv "$staging" "$rootfs"
