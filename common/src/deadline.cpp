#include "nslab/deadline.hpp"

#include <algorithm>

namespace nslab {

int poll_timeout(std::optional<SteadyClock::time_point> deadline) {
  if (!deadline) {
    return -1;
  }
  // Rounded up: rounding down would wake a millisecond early, find the
  // deadline not yet reached, and poll again with a timeout of 0.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - SteadyClock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
}

} // namespace nslab
