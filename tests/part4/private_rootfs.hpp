/// \file
/// \brief A private copy of isolate's busybox rootfs with nslab-probe in it,
/// for the part 4 checks that attack from inside the container.
#pragma once

#include "harness.hpp"

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <unistd.h>

namespace nslab::testing {

/// A private copy of the busybox rootfs, owned by the user isolate runs as,
/// so that the container's root could write to it if nothing stopped it:
/// the strongest position for an attack on the host's rootfs directory.
class PrivateRootfs {
public:
  explicit PrivateRootfs(bool rootless) {
    namespace fs = std::filesystem;
    fs::copy(NSLAB_ISOLATE_ROOTFS, path(),
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    // The static observer, to attack from inside with system calls that
    // busybox has no applet for.
    fs::copy_file(probe(), path() + "/bin/nslab-probe");
    // TempDir is 0700: the user isolate runs as must reach the copy.
    fs::permissions(dir_.path(),
                    fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    if (rootless) {
      give_to_nobody();
    }
  }
  [[nodiscard]] std::string path() const { return dir_.path() + "/rootfs"; }

private:
  /// Fails harmlessly when the suite runs unprivileged: then nobody is not
  /// who runs isolate, and the copy is the caller's own already.
  void give_to_nobody() const {
    // The ids Command::rootless runs as.
    constexpr uid_t kNobody = 65534;
    constexpr gid_t kNogroup = 65534;
    ::lchown(path().c_str(), kNobody, kNogroup);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path())) {
      ::lchown(entry.path().c_str(), kNobody, kNogroup);
    }
  }
  TempDir dir_;
};

} // namespace nslab::testing
