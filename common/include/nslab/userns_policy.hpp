/// \file
/// \brief Ubuntu's AppArmor restriction on unprivileged user namespaces:
/// detecting it, and the one line that tells the user the fix.
///
/// Ubuntu 23.10 and later (so 24.04) let an ordinary user create a user
/// namespace, but AppArmor then gives it no capabilities unless the program
/// has a profile that allows `userns`. Inside such a namespace, mount(2),
/// sethostname(2) and clone(2) with more `CLONE_NEW*` flags fail with EPERM,
/// which alone reads like a bug in the lab. The switch is the sysctl
/// `kernel.apparmor_restrict_unprivileged_userns`.
#pragma once

#include <filesystem>
#include <string>

namespace nslab {

/// Where the kernel shows the switch. The file exists only on kernels with
/// Ubuntu's AppArmor patch.
inline constexpr const char* kAppArmorUsernsSysctl =
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";

/// True when \p sysctl exists and reads 1: AppArmor then gives user namespaces
/// that unconfined, unprivileged programs create no capabilities. False when
/// the file is missing or unreadable (no such restriction) or reads 0. The
/// path is a parameter so that tests can point it at a file of their own.
[[nodiscard]] bool apparmor_restricts_userns(
    const std::filesystem::path& sysctl = kAppArmorUsernsSysctl);

/// For a step that failed with \p errnum: when it is EPERM and
/// apparmor_restricts_userns(\p sysctl), the one line (no newline) that
/// names the restriction and the fix; otherwise an empty string. Print it
/// under the error line:
///
///     if (const std::string hint = apparmor_userns_hint(errnum); !hint.empty()) ...
[[nodiscard]] std::string apparmor_userns_hint(
    int errnum, const std::filesystem::path& sysctl = kAppArmorUsernsSysctl);

} // namespace nslab
