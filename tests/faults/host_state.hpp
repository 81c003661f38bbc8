/// \file
/// \brief What a run of the labs could leave on the host, read from outside:
/// for the fault and bad-input checks.
#pragma once

#include <chrono>
#include <set>
#include <string>

namespace nslab::testing {

/// One look at everything on the host that a lab program could leave
/// behind by mistake.
struct HostState {
  std::string hostname;              ///< the host's hostname
  std::set<std::string> sysv_queues; ///< System V queue ids (/proc/sysvipc/msg)
  std::set<std::string> links;       ///< nsl* links: isolate's veth host ends
  std::string mounts;                ///< this mount namespace's table, which is the host's

  /// Reads it all now.
  [[nodiscard]] static HostState now();
};

/// What \p after has that \p before had not, one line per object, or "" when
/// nothing was added and the hostname is unchanged. Mounts count only on the
/// host's own directories (/, /proc, /sys, /dev, /tmp, /run) and the rootfs.
[[nodiscard]] std::string added_since(const HostState& before, const HostState& after);

/// Waits until nothing is added to \p before (within \p bound), and returns
/// what still is. Other suites running at the same time make queues and links
/// of their own, which come and go; a leak stays.
[[nodiscard]] std::string left_behind(const HostState& before,
                                      std::chrono::milliseconds bound = std::chrono::milliseconds{
                                          3000});

/// The cgroup directories named `isolate-PID` for \p pid (isolate's own pid)
/// that exist now: none once that run has ended. Per run rather than in
/// HostState, because a parallel test's live containers have theirs.
[[nodiscard]] std::set<std::string> isolate_cgroups_of(int pid);

/// True when POSIX queue \p name exists in the test's IPC namespace.
[[nodiscard]] bool posix_queue_exists(const std::string& name);

} // namespace nslab::testing
