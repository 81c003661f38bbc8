/// \file
/// \brief One table of namespace kinds, namespace ids, and the `-v` table.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace nslab {

/// One kind of Linux namespace.
struct NamespaceKind {
  std::string_view name;        ///< Its file name under `/proc/PID/ns/`, e.g. `uts`.
  int clone_flag;               ///< Its clone(2) flag, e.g. `CLONE_NEWUTS`.
  std::string_view isolates;    ///< What it isolates, in a few words.
};

/// Every namespace kind the labs use, in the order the `-v` table prints them.
extern const std::array<NamespaceKind, 8> kNamespaceKinds;

/// Looks up a kind by its `/proc/PID/ns` name; throws std::out_of_range.
[[nodiscard]] const NamespaceKind& namespace_kind(std::string_view name);

/// The namespace id (the inode number of `/proc/PID/ns/NAME`) of process
/// \p pid for \p kind. Two processes share a namespace exactly when these
/// are equal. Throws nslab::Error if the file cannot be read.
[[nodiscard]] ino_t namespace_id(pid_t pid, const NamespaceKind& kind);

/// A table with one row per namespace kind: its id for \p parent and for
/// \p child, whether the child's is new, and what the kind isolates. Kinds the kernel does not offer
/// are left out.
[[nodiscard]] std::string namespace_table(pid_t parent, pid_t child);

} // namespace nslab
