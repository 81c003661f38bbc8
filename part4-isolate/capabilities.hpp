// The container's capabilities: Docker's default 14, changed by --cap-add
// and --cap-drop as `docker run` changes them, and cut to that set before
// exec. See capabilities(7).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace isolate::caps {

/// A set of capabilities: bit N is capability N (CAP_CHOWN is 0).
using Set = std::uint64_t;

/// What --cap-add and --cap-drop asked for, as `docker run` reads them.
struct Changes {
  Set add = 0;
  Set drop = 0;
  bool add_all = false;  ///< --cap-add ALL
  bool drop_all = false; ///< --cap-drop ALL
};

/// Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
/// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL,
/// AUDIT_WRITE.
[[nodiscard]] Set docker_default();

/// Records one --cap-add (\p adding) or --cap-drop NAME: `NET_ADMIN`,
/// `cap_net_admin` or `ALL`, in any case. Throws nslab::UsageError naming
/// \p option for an unknown name.
void record(Changes& changes, std::string_view name, bool adding, std::string_view option);

/// The container's set, as Docker computes it: --cap-add ALL gives every
/// capability but the dropped ones; else --cap-drop ALL keeps only the
/// added ones; else the default, less the dropped, plus the added.
[[nodiscard]] Set resolve(const Changes& changes);

/// The set's names, e.g. "CHOWN DAC_OVERRIDE", for -v; "none" when empty.
[[nodiscard]] std::string names(Set set);

/// The number of capabilities in \p set.
[[nodiscard]] int count(Set set);

/// Cuts this process to \p keep: bounding, permitted and effective sets to
/// \p keep, inheritable and ambient empty. Needs CAP_SETPCAP, which root in
/// our user namespace has until this call.
void limit_to(Set keep);

} // namespace isolate::caps
