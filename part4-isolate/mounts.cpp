// The container's filesystem: private mounts, pivot_root onto the rootfs,
// and fresh /proc, /dev, /sys and /tmp. Separate because each step is a
// mount(2) call with its own pitfall; mounts.hpp gives the order.

#include "mounts.hpp"

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace isolate {
namespace {

// Where pivot_into() parks the old root. The rootfs's own /tmp is the one
// directory we cover with a tmpfs anyway, so no directory is ever created in
// the rootfs: it may be read-only to us, and other containers may share it.
constexpr const char* kOldRoot = "/tmp";

// The device nodes a program expects. Bind-mounting the host's node works in
// a user namespace; mknod(2) does not, and a tmpfs mounted there is nodev.
constexpr std::array<const char*, 6> kDeviceNodes = {"null",   "zero",    "full",
                                                     "random", "urandom", "tty"};

struct DevSymlink {
  const char* path;
  const char* target;
};
constexpr std::array<DevSymlink, 5> kDevSymlinks = {{
    {"/dev/fd", "/proc/self/fd"},
    {"/dev/stdin", "/proc/self/fd/0"},
    {"/dev/stdout", "/proc/self/fd/1"},
    {"/dev/stderr", "/proc/self/fd/2"},
    {"/dev/ptmx", "pts/ptmx"},
}};

/// mount(2), throwing an error that names \p what (the mount point, usually).
void mount_checked(const char* source, const char* target, const char* type, unsigned long flags,
                   const char* data, const std::string& what) {
  nslab::check(::mount(source, target, type, flags, data), "mount", what);
}

void bind_device_node(const char* name) {
  const std::string source = fmt::format("{}/dev/{}", kOldRoot, name);
  const std::string target = fmt::format("/dev/{}", name);
  // A bind mount needs a mount point of the same kind: for a device node,
  // an empty regular file does.
  nslab::UniqueFd placeholder(nslab::check(
      ::open(target.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666), "create", target));
  mount_checked(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr, target);
}

void make_directory(const char* path, mode_t mode) {
  nslab::check(::mkdir(path, mode), "mkdir", path);
}

} // namespace

// [make-private]
void make_mounts_private() {
  // A new mount namespace starts with copies of the host's mounts, still
  // tied to the host's peer groups. Owned by a new user namespace they are
  // slaves, so the host's mounts and unmounts keep flowing in here; private
  // cuts every tie, in both directions.
  mount_checked(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr, "/, MS_REC|MS_PRIVATE");
}
// [make-private]

// [read-only-rootfs]
void bind_read_only(const std::string& rootfs) {
  // pivot_root(2) needs new_root to be a mount point; this makes it one.
  mount_checked(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr, rootfs);
  // mount_setattr(2) only adds these flags, to the whole tree at once; a
  // remount would have to repeat every flag the host locked on the mount
  // (noexec, say), or fail with EPERM in a user namespace.
  mount_attr read_only{};
  read_only.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  nslab::check(
      ::mount_setattr(AT_FDCWD, rootfs.c_str(), AT_RECURSIVE, &read_only, sizeof read_only),
      "mount_setattr", fmt::format("{}, read-only, nosuid, nodev", rootfs));
}
// [read-only-rootfs]

// [writable-layer]
void mount_writable_layer(const std::string& rootfs) {
  // The layer's files live on a tmpfs in our mount namespace, so they
  // vanish with it. It goes on the rootfs's own /tmp: a directory that is
  // always there, which the overlay then covers, and which pivot_into()
  // reuses. Relative paths keep the rootfs path (it may hold ',' or ':')
  // out of overlayfs's option string.
  nslab::check(::chdir(rootfs.c_str()), "chdir", rootfs);
  mount_checked("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", rootfs + "/tmp");
  make_directory("tmp/upper", 0755);
  make_directory("tmp/work", 0755);
  // The overlay, mounted on the rootfs itself, is the mount point that
  // pivot_root(2) needs. It reads the rootfs (the lower layer) and writes
  // only into upper: the host's directory never changes. nosuid and nodev:
  // no set-user-ID file or device node in the layer or the rootfs counts.
  // userxattr: overlayfs records its bookkeeping (a directory renamed into
  // a lower one is "opaque") in trusted.* attributes, which a user
  // namespace may not set; without user.* ones instead, rename(2) of a new
  // directory fails with EXDEV, and dpkg cannot install a package.
  if (::mount("overlay", ".", "overlay", MS_NOSUID | MS_NODEV,
              "lowerdir=.,upperdir=tmp/upper,workdir=tmp/work,userxattr") != 0) {
    const int error = errno;
    throw nslab::Error(error, fmt::format("mount overlay on {}", rootfs), "",
                       fmt::format("{}; this kernel refuses overlayfs in a user namespace "
                                   "(it needs Linux 5.11): try --read-only",
                                   std::strerror(error)));
  }
  nslab::check(::chdir("/"), "chdir", "/");
}
// [writable-layer]

// [pivot-root]

void pivot_into(const std::string& rootfs) {
  // BEGIN EXERCISE part4.pivot-root
  // STUB: // TODO(part4.pivot-root): make rootfs the new "/" with the old root on rootfs + kOldRoot,
  // STUB: // then chdir(2) to "/". pivot_root(2) has no glibc wrapper: call
  // STUB: // ::syscall(SYS_pivot_root, new_root, put_old) and wrap it in nslab::check.
  // STUB: nslab::not_implemented("part4.pivot-root", rootfs);
  // glibc has no wrapper. put_old must lie under new_root: after the call,
  // rootfs is "/" and the old root hangs at /tmp.
  const std::string put_old = rootfs + kOldRoot;
  nslab::check(::syscall(SYS_pivot_root, rootfs.c_str(), put_old.c_str()), "pivot_root", rootfs);
  // Our working directory still points into the old tree; leave it.
  nslab::check(::chdir("/"), "chdir", "/");
  // END EXERCISE part4.pivot-root
}

void detach_old_root() {
  // The old root still carries the host's /proc, /sys, /dev and the rest,
  // copied into our namespace and locked together with it: a plain umount
  // fails with EBUSY. MNT_DETACH takes the whole tree away at once.
  nslab::check(::umount2(kOldRoot, MNT_DETACH), "umount2", kOldRoot);
}
// [pivot-root]

// [mount-proc]
void mount_proc() {
  // BEGIN EXERCISE part4.mount-proc
  // STUB: // TODO(part4.mount-proc): mount a new proc filesystem on /proc with mount(2) (or
  // STUB: // mount_checked above), with the flags MS_NOSUID | MS_NODEV | MS_NOEXEC; see proc(5).
  // STUB: nslab::not_implemented("part4.mount-proc");
  // Before detach_old_root(): in a user namespace the kernel only allows a
  // new proc while a complete one is visible, and the host's /proc is still
  // there, under the old root.
  mount_checked("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, "/proc");
  // END EXERCISE part4.mount-proc
}
// [mount-proc]

// [make-dev]
void make_dev() {
  mount_checked("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", "/dev");
  for (const char* name : kDeviceNodes) {
    bind_device_node(name);
  }
  for (const DevSymlink& link : kDevSymlinks) {
    nslab::check(::symlink(link.target, link.path), "symlink", link.path);
  }
  make_directory("/dev/pts", 0755);
  // newinstance: our own pty numbering, not the host's ptys. No gid=5: that
  // group may not exist (be mapped) in this user namespace.
  mount_checked("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620", "/dev/pts");
  make_directory("/dev/shm", 01777);
  mount_checked("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", "/dev/shm");
}
// [make-dev]

// [protect-kernel-files]
namespace {

// Global knobs and views of the host's kernel that /proc still shows in a
// new PID namespace, as in Docker: read-only ...
constexpr std::array<const char*, 5> kReadOnlyPaths = {"/proc/sys", "/proc/sysrq-trigger",
                                                       "/proc/irq", "/proc/bus", "/proc/fs"};
// ... and masked: the kernel's memory, the keys of every user, timers and
// scheduler details of the host's processes, hardware.
constexpr std::array<const char*, 6> kMaskedPaths = {"/proc/kcore",      "/proc/keys",
                                                     "/proc/timer_list", "/proc/sched_debug",
                                                     "/proc/acpi",       "/proc/scsi"};

bool exists(const char* path) {
  struct stat info {};
  return ::lstat(path, &info) == 0;
}

void make_read_only(const char* path) {
  mount_checked(path, path, nullptr, MS_BIND | MS_REC, nullptr, path);
  mount_attr read_only{};
  read_only.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  nslab::check(::mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &read_only, sizeof read_only),
               "mount_setattr", fmt::format("{}, read-only", path));
}

void mask(const char* path) {
  struct stat info {};
  nslab::check(::lstat(path, &info), "lstat", path);
  if (S_ISDIR(info.st_mode)) {
    mount_checked("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=0,mode=0555", path);
  } else {
    mount_checked("/dev/null", path, nullptr, MS_BIND, nullptr, path);
  }
}

} // namespace

void protect_kernel_files() {
  // Even root of the host could not undo these from inside: unmounting
  // needs CAP_SYS_ADMIN, which the container no longer has, and the
  // seccomp filter denies umount2(2) besides.
  for (const char* path : kReadOnlyPaths) {
    if (exists(path)) {
      make_read_only(path);
    }
  }
  for (const char* path : kMaskedPaths) {
    if (exists(path)) {
      mask(path);
    }
  }
}
// [protect-kernel-files]

// [mount-sys]
void mount_sys() {
  // sysfs shows the network devices of the mounter's network namespace, so
  // the kernel allows it only to a user namespace that owns that network
  // namespace. Ours does: the child made it, inside our user namespace,
  // and has joined it by now.
  mount_checked("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr,
                "/sys");
  // The machine's firmware tables (ACPI, EFI variables): masked, as in Docker.
  if (exists("/sys/firmware")) {
    mask("/sys/firmware");
  }
}
// [mount-sys]

void mount_tmp() {
  mount_checked("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", "/tmp");
}

} // namespace isolate
