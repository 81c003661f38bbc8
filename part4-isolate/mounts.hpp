// The mount namespace: the container's filesystem, built step by step.
//
// Call the steps in this order, inside a new mount (and user) namespace. The
// old root stays reachable at /tmp from pivot_into() until
// detach_old_root(): mount_proc() and mount_sys() need it there, and
// make_dev() takes its device nodes from it. mount_sys() also needs the
// container's own network namespace joined first.
#pragma once

#include <string>

namespace isolate {

/// Stops every mount and unmount in here from propagating to the host.
void make_mounts_private();
/// Covers \p rootfs with a private writable layer (overlayfs, nosuid,
/// nodev, its changes on a tmpfs that vanishes with the mount namespace);
/// the overlay is the mount point that pivot_root(2) requires.
void mount_writable_layer(const std::string& rootfs);
/// For --read-only: binds \p rootfs onto itself (the mount point that
/// pivot_root(2) requires), read-only, nosuid and nodev.
void bind_read_only(const std::string& rootfs);
/// Makes \p rootfs the root; the old root moves onto the rootfs's /tmp.
void pivot_into(const std::string& rootfs);
/// A fresh /proc for the new PID namespace.
void mount_proc();
/// A minimal /dev: a tmpfs with device nodes bound from the host, the
/// standard symlinks, /dev/pts and /dev/shm.
void make_dev();
/// /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus and /proc/fs
/// read-only; /proc/kcore, /proc/keys, /proc/timer_list, /proc/sched_debug,
/// /proc/acpi and /proc/scsi masked (where they exist).
void protect_kernel_files();
/// /sys, read-only, showing this network namespace's devices, with
/// /sys/firmware masked.
void mount_sys();
/// Lazily unmounts the old root, so nothing of the host stays reachable.
void detach_old_root();
/// A private, empty /tmp.
void mount_tmp();

} // namespace isolate
