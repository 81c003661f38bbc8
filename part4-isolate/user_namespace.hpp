// The user namespace: which host ids the container's ids really are.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace isolate {

/// One line of a uid_map or gid_map: the \p count ids from \p inside on are
/// the host's ids from \p outside on.
struct IdRange {
  unsigned long inside = 0;  ///< first id in the container
  unsigned long outside = 0; ///< first id on the host
  unsigned long count = 0;   ///< how many ids
  bool operator==(const IdRange&) const = default;
};

/// A host uid and gid, as `-u UID[:GID]` names them.
struct IdPair {
  uid_t uid = 0; ///< host uid
  gid_t gid = 0; ///< host gid
};

/// What the command line asked of the user namespace.
struct UserRequest {
  std::optional<IdPair> map_user;    ///< -u: root inside is this pair, nothing else
  std::optional<uid_t> userns_remap; ///< --userns-remap BASE
};

/// The container's id maps, decided before clone(2), and who writes them.
struct IdMaps {
  std::vector<IdRange> uids; ///< the lines of uid_map
  std::vector<IdRange> gids; ///< the lines of gid_map
  /// Write "deny" to setgroups before gid_map: the kernel requires it when
  /// the writer lacks CAP_SETGID over the host, that is rootless.
  bool deny_setgroups = false;
  /// Rootless with subordinate ids: the paths of newuidmap and newgidmap,
  /// set-user-ID helpers that write the maps, because only they may map ids
  /// not our own. Empty: isolate writes the maps itself.
  std::string newuidmap;
  std::string newgidmap; ///< see newuidmap

  /// Why these maps, for -v (rootless: why there are no more ids).
  std::string reason;
};

/// The largest id a map may name: (uid_t)-1 means "no id" to the kernel.
inline constexpr unsigned long kMaxId = 4'294'967'294;

/// How many ids a container gets: 0-65535, as Docker and Podman give.
inline constexpr unsigned long kContainerIds = 65536;

/// Parses `UID[:GID]` (the -u value); a missing GID is the invoker's.
/// Throws nslab::UsageError.
[[nodiscard]] IdPair parse_id_pair(std::string_view text);

/// Parses the --userns-remap BASE; BASE..BASE+65535 must be valid ids.
/// Throws nslab::UsageError.
[[nodiscard]] uid_t parse_remap_base(std::string_view text);

/// Decides the maps for \p request: as root 0-65535 onto the host's
/// 0-65535 (or onto BASE.. with --userns-remap); rootless the invoker, plus
/// its first subordinate range when newuidmap/newgidmap can map it; with -u
/// just that pair. Reads /etc/subuid and /etc/subgid; throws on a request
/// that cannot work (--userns-remap rootless).
[[nodiscard]] IdMaps plan_id_maps(const UserRequest& request);

/// The text of a map file: one "inside outside count" line per range.
[[nodiscard]] std::string map_text(const std::vector<IdRange>& ranges);

/// Writes the maps of the child \p pid, which must still be waiting on the
/// checkpoint, itself or through newuidmap/newgidmap. Throws nslab::Error,
/// which for a refused map says why.
void apply_id_maps(pid_t pid, const IdMaps& maps);

/// Child side, once the maps are written: makes the caller uid 0 and gid 0
/// inside. Throws nslab::Error.
void become_root_inside();

} // namespace isolate
