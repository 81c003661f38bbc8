#!/bin/sh
# Builds the busybox root filesystem isolate uses by default.
# Usage: make-rootfs.sh BUSYBOX ROOTFS
# BUSYBOX must be statically linked (Debian's busybox-static): the rootfs has
# no C library for a dynamic one to load. The new tree is built beside ROOTFS
# and moved into place at the end, so a failed build never leaves half a rootfs.
set -eu

busybox=$1
rootfs=$2
staging=$rootfs.new

if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-rootfs.sh: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

rm -rf "$staging"
mkdir -p "$staging"
cd "$staging"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root
chmod 1777 tmp
chmod 0755 root  # rootless, the host owner is unmapped: 0700 would lock root out of its own HOME
cp "$busybox" bin/busybox

# One symbolic link per applet, where busybox says it belongs (bin/ls, ...).
for applet in $(bin/busybox --list-full); do
  case $applet in
    */*) [ -e "$applet" ] || ln -s /bin/busybox "$applet" ;;
  esac
done

cat > etc/passwd <<'END'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
END
cat > etc/group <<'END'
root:x:0:
nogroup:x:65534:
END
# isolate mounts its own over both; they are here so that it has a file to
# mount on even where the rootfs may not be written.
echo "127.0.0.1 localhost" > etc/hosts
echo "localhost" > etc/hostname

cd ..
rm -rf "$rootfs"
mv "$staging" "$rootfs"
