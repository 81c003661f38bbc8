// --init: a tiny PID 1 built into isolate.
#pragma once

#include "nslab/checkpoint.hpp"

#include <string>
#include <vector>

namespace isolate {

/// Runs as the container's PID 1, in place of COMMAND: starts \p command as
/// its child, reaps every process that ends up as its child (orphans are
/// re-parented to PID 1), forwards termination signals to \p command, and
/// returns \p command's shell-style status once it exits. An exec failure of
/// \p command is reported over \p errors like any other pre-exec failure.
[[nodiscard]] int run_init(const std::vector<std::string>& command, nslab::ErrorChannel& errors);

} // namespace isolate
