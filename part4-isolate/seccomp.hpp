// The container's seccomp filter, modelled on Docker's default profile:
// system calls that no container needs, or that reach what namespaces do
// not isolate (the kernel's keyrings, modules, clock, swap, ...), fail with
// EPERM. See seccomp(2) and the part 4 hardening page.
#pragma once

#include "capabilities.hpp"

#include <linux/filter.h>
#include <vector>

namespace isolate::seccomp {

/// The filter as a classic BPF program, the form seccomp(2) loads.
using Program = std::vector<sock_filter>;

/// Compiles the filter. As in Docker's profile, a call that a capability
/// stands for (for example reboot(2) for CAP_SYS_BOOT) stays allowed when
/// \p container_caps holds that capability. Compiling takes longer than
/// loading and needs no privilege, so isolate does it while it would
/// otherwise wait (see container_main()).
[[nodiscard]] Program compile_filter(caps::Set container_caps);

/// Loads \p program into every thread of this process; it stays across
/// fork and exec, for good. Needs no_new_privs (or CAP_SYS_ADMIN).
void load(const Program& program);

} // namespace isolate::seccomp
