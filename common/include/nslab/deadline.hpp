/// \file
/// \brief Turning a deadline into the timeout poll(2) wants.
#pragma once

#include <chrono>
#include <optional>

namespace nslab {

/// The clock for every deadline here: steady, so it does not jump when
/// someone sets the wall clock.
using SteadyClock = std::chrono::steady_clock;

/// poll(2)'s timeout argument for \p deadline: the milliseconds left,
/// rounded up and at least 0, or -1 (wait forever) when there is none.
[[nodiscard]] int poll_timeout(std::optional<SteadyClock::time_point> deadline);

} // namespace nslab
