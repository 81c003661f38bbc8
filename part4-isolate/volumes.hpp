// Volumes: host directories shared with the container, as `docker run -v`.
//
// Parsed and checked before any namespace exists; the child takes a
// detached copy of each host directory while the host's tree is still in
// view (open_volumes), and attaches it once the container's root is in
// place (attach_volumes).
#pragma once

#include "nslab/unique_fd.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace isolate {

/// One --volume HOST_DIR:CONTAINER_DIR[:ro|:rw].
struct Volume {
  std::string spec;          ///< as typed, for error messages
  std::string host_dir;      ///< absolute, without symlinks once resolved
  std::string container_dir; ///< absolute, inside the container
  bool read_only = false;    ///< :ro
};

/// Parses HOST_DIR:CONTAINER_DIR[:ro|:rw]. Throws nslab::UsageError.
[[nodiscard]] Volume parse_volume(std::string_view spec);

/// Makes each host directory absolute and checks that it is one, before any
/// namespace exists. Throws nslab::Error naming the volume as typed.
void resolve_volumes(std::vector<Volume>& volumes);

/// Child, before pivot_root: a detached, recursive copy of each host
/// directory, nosuid, nodev, private, and read-only for :ro.
[[nodiscard]] std::vector<nslab::UniqueFd> open_volumes(const std::vector<Volume>& volumes);

/// Child, inside the new root: attaches each copy on its container
/// directory, which is made when missing (in the writable layer).
void attach_volumes(const std::vector<Volume>& volumes, std::vector<nslab::UniqueFd>& copies);

} // namespace isolate
