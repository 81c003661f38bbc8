// The kernel's keyrings are not namespaced: without this step, the
// container would inherit the invoker's session keyring, and with it every
// key (a login token, a disk key) that the invoker's session holds.

#include "keyring.hpp"

#include "nslab/error.hpp"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace isolate {

// [session-keyring]
void join_new_session_keyring() {
  // glibc has no wrapper. A null name makes a new anonymous keyring; it must
  // happen before the seccomp filter, which denies keyctl(2) from then on.
  nslab::check(static_cast<int>(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr)),
               "keyctl", "KEYCTL_JOIN_SESSION_KEYRING");
}
// [session-keyring]

} // namespace isolate
