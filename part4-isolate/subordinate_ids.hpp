// Subordinate ids: the ranges of host ids that /etc/subuid and /etc/subgid
// lend an ordinary user, and the set-user-ID helpers newuidmap and newgidmap
// (Debian's uidmap package) that map them, as Podman uses them.
#pragma once

#include "user_namespace.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace isolate {

/// A range lent to a user: host ids \p start .. \p start + \p count - 1.
struct SubordinateRange {
  unsigned long start = 0; ///< first host id of the range
  unsigned long count = 0; ///< how many ids
  bool operator==(const SubordinateRange&) const = default;
};

/// The first range in \p file_text (the text of /etc/subuid or /etc/subgid,
/// "owner:start:count" lines) whose owner is \p user_name or the number
/// \p id, as shadow accepts either. Malformed lines are skipped, as shadow
/// skips them.
[[nodiscard]] std::optional<SubordinateRange> find_subordinate_range(std::string_view file_text,
                                                                     std::string_view user_name,
                                                                     unsigned long id);

/// The full path of \p program on $PATH, if there is one that may be run.
[[nodiscard]] std::optional<std::string> find_on_path(std::string_view program);

/// Runs \p helper (newuidmap or newgidmap) to write \p ranges into the map
/// of \p pid. Throws nslab::Error with the helper's own complaint.
void run_map_helper(const std::string& helper, pid_t pid, const std::vector<IdRange>& ranges);

} // namespace isolate
