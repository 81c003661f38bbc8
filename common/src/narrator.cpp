#include "nslab/narrator.hpp"

#include "nslab/namespaces.hpp"

namespace nslab {

void Narrator::say(std::string_view side, std::string_view line) const {
  fmt::print("{}{}\n", side, line);
  // Parent and child share stdout; flushing each line keeps their lines in
  // the order they happened instead of the order their buffers filled.
  std::fflush(stdout);
}

void Narrator::namespaces(pid_t parent, pid_t child) const {
  if (enabled_) {
    fmt::print("{}", namespace_table(parent, child));
    std::fflush(stdout);
  }
}

} // namespace nslab
