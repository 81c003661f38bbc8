// --init: a tiny PID 1 built into isolate.
#pragma once

#include <string>
#include <vector>

namespace isolate {

/// Makes this process, the future PID 1, keep isolate to itself: not
/// dumpable, so no process in the container may ptrace it or read its memory
/// or environ (that takes CAP_SYS_PTRACE, which the container lacks); and
/// its argument and environment areas, which /proc/1/cmdline and
/// /proc/1/environ show, overwritten with \p command and \p env.
void hide_isolate_in_pid1(const std::vector<std::string>& command,
                          const std::vector<std::string>& env);

/// Runs as the container's PID 1, in place of COMMAND: starts \p command as
/// its child, reaps every process that ends up as its child (orphans are
/// re-parented to PID 1), forwards termination signals to \p command, and
/// returns \p command's shell-style status once it exits. An exec failure of
/// \p command is reported over the error channel like any other pre-exec
/// failure.
[[nodiscard]] int run_init(const std::vector<std::string>& command);

} // namespace isolate
