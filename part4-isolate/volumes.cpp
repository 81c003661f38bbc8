// Volumes: --volume HOST_DIR:CONTAINER_DIR[:ro]. Separate from mounts.cpp
// because they use the new mount API (open_tree, mount_setattr,
// move_mount): a copy of a host directory is taken while the host's tree is
// still in view, and attached inside the container after pivot_root.

#include "volumes.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <fmt/core.h>
#include <memory>
#include <sys/mount.h>
#include <sys/stat.h>

namespace isolate {
namespace {

/// Makes \p path and its missing parents, as `mkdir -p`.
void make_directories(const std::string& path) {
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      nslab::throw_errno("mkdir", prefix);
    }
    if (slash == std::string::npos) {
      return;
    }
  }
}

} // namespace

Volume parse_volume(std::string_view spec) {
  const auto bad = [&](std::string_view why) {
    return nslab::UsageError(fmt::format("--volume {}: {}", spec, why));
  };
  Volume volume{std::string(spec), {}, {}, false};
  const auto first = spec.find(':');
  if (first == std::string_view::npos || first == 0) {
    throw bad("expected HOST_DIR:CONTAINER_DIR[:ro]");
  }
  volume.host_dir = spec.substr(0, first);
  std::string_view rest = spec.substr(first + 1);
  const auto second = rest.find(':');
  volume.container_dir = rest.substr(0, second);
  if (second != std::string_view::npos) {
    const std::string_view mode = rest.substr(second + 1);
    if (mode != "ro" && mode != "rw") {
      throw bad(fmt::format("unknown mode '{}' (expected ro or rw)", mode));
    }
    volume.read_only = mode == "ro";
  }
  if (volume.container_dir.empty() || volume.container_dir.front() != '/' ||
      volume.container_dir.find_first_not_of('/') == std::string::npos) {
    throw bad("CONTAINER_DIR must be an absolute path other than /");
  }
  return volume;
}

void resolve_volumes(std::vector<Volume>& volumes) {
  for (Volume& volume : volumes) {
    const std::unique_ptr<char, decltype(&std::free)> resolved(
        ::realpath(volume.host_dir.c_str(), nullptr), &std::free);
    struct stat info {};
    const int error = !resolved                            ? errno
                      : ::stat(resolved.get(), &info) != 0 ? errno
                      : !S_ISDIR(info.st_mode)             ? ENOTDIR
                                                           : 0;
    if (error != 0) {
      throw nslab::Error(error, fmt::format("--volume {}: {}", volume.spec, volume.host_dir));
    }
    volume.host_dir = resolved.get();
  }
}

// [open-volumes]
std::vector<nslab::UniqueFd> open_volumes(const std::vector<Volume>& volumes) {
  std::vector<nslab::UniqueFd> copies;
  for (const Volume& volume : volumes) {
    // A detached copy of the host directory and every mount below it, taken
    // while the host's tree is in view; it is ours from here on, whatever
    // later happens to the path on the host.
    nslab::UniqueFd copy(
        nslab::check(::open_tree(AT_FDCWD, volume.host_dir.c_str(),
                                 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE),
                     "open_tree", volume.host_dir));
    // One call for the whole tree. The copy's flags that the host set are
    // locked in a user namespace: flags may be added, never taken away, and
    // a plain MS_REMOUNT|MS_RDONLY would change the top mount only. The
    // copy is private already: make_mounts_private() ran first.
    mount_attr attributes{};
    attributes.attr_set =
        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (volume.read_only ? MOUNT_ATTR_RDONLY : 0);
    nslab::check(::mount_setattr(copy.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attributes,
                                 sizeof attributes),
                 "mount_setattr", volume.host_dir);
    copies.push_back(std::move(copy));
  }
  return copies;
}
// [open-volumes]

// [attach-volumes]
void attach_volumes(const std::vector<Volume>& volumes, std::vector<nslab::UniqueFd>& copies) {
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    // After pivot_root and with the old root gone, a symbolic link on the
    // way resolves inside the container: it cannot point a volume at the
    // host's files.
    const std::string& target = volumes[i].container_dir;
    make_directories(target);
    nslab::check(
        ::move_mount(copies[i].get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH),
        "move_mount", target);
    copies[i].reset();
  }
}
// [attach-volumes]

} // namespace isolate
