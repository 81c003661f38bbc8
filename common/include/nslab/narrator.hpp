/// \file
/// \brief `-v` output: each step, prefixed with the side that took it.
#pragma once

#include <cstdio>
#include <fmt/core.h>
#include <string_view>
#include <sys/types.h>
#include <utility>

namespace nslab {

/// Prints the steps a program takes when `-v` is given, like the articles:
/// `Parent: ...` from the parent and ` Child: ...` from the child (the space
/// lines the colons up). When disabled it prints nothing.
class Narrator {
public:
  /// \p enabled is usually the `-v` flag.
  explicit Narrator(bool enabled) noexcept : enabled_(enabled) {}

  /// True when `-v` output is on.
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

  /// A step taken by the parent.
  template <typename... Args>
  void parent(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled_) {
      say("Parent: ", fmt::format(format, std::forward<Args>(args)...));
    }
  }
  /// A step taken by the child.
  template <typename... Args>
  void child(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled_) {
      say(" Child: ", fmt::format(format, std::forward<Args>(args)...));
    }
  }

  /// The table of namespace ids for \p parent and \p child (see
  /// namespace_table()). Both must be alive: a process that has exited has no
  /// namespaces left to show.
  void namespaces(pid_t parent, pid_t child) const;

private:
  // Called only when enabled: without -v nothing is formatted, so the
  // steps cost nothing to narrate.
  void say(std::string_view side, std::string_view line) const;
  bool enabled_;
};

} // namespace nslab
