/// \file
/// \brief The stub that stands in for a student's exercise in the starter tree.
///
/// `./lab starter` copies the reference into a student tree and replaces the
/// code of each graded exercise with a call to not_implemented(), so the tree
/// still builds and the lab's checks fail with a message that names the
/// exercise. The reference itself never calls it.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace nslab {

/// Thrown where an exercise has not been written yet. `what()` reads
/// `not implemented: part1.sethostname`.
class NotImplemented : public std::logic_error {
public:
  /// \p exercise names the exercise, for example `part1.sethostname`.
  explicit NotImplemented(std::string_view exercise)
      : std::logic_error("not implemented: " + std::string(exercise)) {}
};

/// Fails loudly: throws NotImplemented for \p exercise.
///
/// An exception, unlike `abort()`, reaches the program's usual error path:
/// in a child it travels over the error channel, so the user sees one line
/// such as `uts-demo: not implemented: part1.sethostname` and exit status 125.
/// \p unused are the names that only the missing code used (a parameter, a
/// helper function): mentioning them here keeps the starter tree free of
/// "unused" warnings, which `-Werror` would turn into build failures.
template <typename... Unused>
[[noreturn]] void not_implemented(std::string_view exercise, const Unused&... unused) {
  (static_cast<void>(unused), ...);
  throw NotImplemented(exercise);
}

} // namespace nslab
