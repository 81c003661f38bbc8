// The user namespace: which host ids "root inside" really is.
#pragma once

#include <string_view>
#include <sys/types.h>

namespace isolate {

/// The host uid and gid that uid 0 and gid 0 inside the container map to.
struct IdMap {
  uid_t uid = 0; ///< host uid of root inside
  gid_t gid = 0; ///< host gid of root inside
};

/// The invoker's real uid and gid: the one map any user may write.
[[nodiscard]] IdMap invoker_ids();

/// Parses `UID[:GID]` (the -u value); a missing GID stays the invoker's.
/// Throws nslab::UsageError.
[[nodiscard]] IdMap parse_id_map(std::string_view text);

/// Writes the maps of the child \p pid, which must still be waiting on the
/// checkpoint. Throws nslab::Error (or std::runtime_error for a refused map).
void write_id_maps(pid_t pid, const IdMap& map);

/// Child side, once the maps are written: makes the caller uid 0 and gid 0
/// inside. Throws nslab::Error.
void become_root_inside();

} // namespace isolate
