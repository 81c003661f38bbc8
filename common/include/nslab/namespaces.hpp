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
  std::string_view name;     ///< Its file name under `/proc/PID/ns/`, e.g. `uts`.
  int clone_flag;            ///< Its clone(2) flag, e.g. `CLONE_NEWUTS`.
  std::string_view isolates; ///< What it isolates, in a few words.
};

/// Every namespace kind the labs use, in the order the `-v` table prints them.
extern const std::array<NamespaceKind, 8> kNamespaceKinds;

/// Looks up a kind by its `/proc/PID/ns` name; throws std::out_of_range.
[[nodiscard]] const NamespaceKind& namespace_kind(std::string_view name);

/// Names one namespace. namespaces(7): "if two processes are in the same
/// namespace, then the device IDs and inode numbers of their
/// `/proc/PID/ns/xxx` symbolic links will be the same". The inode alone is
/// not enough: it is unique only within the nsfs filesystem's device.
struct NamespaceId {
  dev_t device; ///< The device of the nsfs filesystem.
  ino_t inode;  ///< The inode number, as in readlink's `uts:[4026531838]`.
  /// Two ids are equal when both the device and the inode are.
  friend bool operator==(const NamespaceId&, const NamespaceId&) = default;
};

/// The namespace id of process \p pid for \p kind, from stat(2) of
/// `/proc/PID/ns/NAME`. Two processes share a namespace exactly when these
/// are equal. Throws nslab::Error if the file cannot be read.
[[nodiscard]] NamespaceId namespace_id(pid_t pid, const NamespaceKind& kind);

/// A table with one row per namespace kind: its inode for \p parent and for
/// \p child, whether the child's is new (by device and inode), and what the
/// kind isolates. Kinds the kernel does not offer are left out.
[[nodiscard]] std::string namespace_table(pid_t parent, pid_t child);

} // namespace nslab
