// The container's seccomp filter, modelled on Docker's default profile:
// system calls that no container needs, or that reach what namespaces do
// not isolate (the kernel's keyrings, modules, clock, swap, ...), fail with
// EPERM. See seccomp(2) and the part 4 hardening page.
#pragma once

#include "capabilities.hpp"

namespace isolate::seccomp {

/// Loads the filter into this process; it stays across fork and exec, for
/// good. As in Docker's profile, a call that a capability stands for (for
/// example reboot(2) for CAP_SYS_BOOT) stays allowed when \p container_caps
/// holds that capability. Needs no_new_privs (or CAP_SYS_ADMIN). Returns how
/// many rules it holds, for -v.
int load_filter(caps::Set container_caps);

} // namespace isolate::seccomp
