#include "nslab/narrator.hpp"

namespace nslab {

void Narrator::say(std::string_view side, std::string_view line) const {
  if (!enabled_) {
    return;
  }
  fmt::print("{}{}\n", side, line);
  // Parent and child share stdout; flushing each line keeps their lines in
  // the order they happened instead of the order their buffers filled.
  std::fflush(stdout);
}

} // namespace nslab
