// The container's session keyring. See keyrings(7) and session-keyring(7).
#pragma once

namespace isolate {

/// Leaves the invoker's session keyring for a new, empty, anonymous one, so
/// no key of the host's session is reachable from inside.
void join_new_session_keyring();

} // namespace isolate
