// Capabilities by plain system calls: prctl(2) for the bounding and ambient
// sets, capset(2) for the others. libcap would hide the few lines that
// teach how the sets work, so it is not used.

#include "capabilities.hpp"

#include "nslab/cli.hpp"
#include "nslab/error.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <fmt/core.h>
#include <limits>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace isolate::caps {
namespace {

struct Capability {
  int number;
  std::string_view name; ///< without CAP_, as Docker prints it
};

// [capability-names]
constexpr std::array<Capability, 41> kCapabilities = {{
    {CAP_CHOWN, "CHOWN"},
    {CAP_DAC_OVERRIDE, "DAC_OVERRIDE"},
    {CAP_DAC_READ_SEARCH, "DAC_READ_SEARCH"},
    {CAP_FOWNER, "FOWNER"},
    {CAP_FSETID, "FSETID"},
    {CAP_KILL, "KILL"},
    {CAP_SETGID, "SETGID"},
    {CAP_SETUID, "SETUID"},
    {CAP_SETPCAP, "SETPCAP"},
    {CAP_LINUX_IMMUTABLE, "LINUX_IMMUTABLE"},
    {CAP_NET_BIND_SERVICE, "NET_BIND_SERVICE"},
    {CAP_NET_BROADCAST, "NET_BROADCAST"},
    {CAP_NET_ADMIN, "NET_ADMIN"},
    {CAP_NET_RAW, "NET_RAW"},
    {CAP_IPC_LOCK, "IPC_LOCK"},
    {CAP_IPC_OWNER, "IPC_OWNER"},
    {CAP_SYS_MODULE, "SYS_MODULE"},
    {CAP_SYS_RAWIO, "SYS_RAWIO"},
    {CAP_SYS_CHROOT, "SYS_CHROOT"},
    {CAP_SYS_PTRACE, "SYS_PTRACE"},
    {CAP_SYS_PACCT, "SYS_PACCT"},
    {CAP_SYS_ADMIN, "SYS_ADMIN"},
    {CAP_SYS_BOOT, "SYS_BOOT"},
    {CAP_SYS_NICE, "SYS_NICE"},
    {CAP_SYS_RESOURCE, "SYS_RESOURCE"},
    {CAP_SYS_TIME, "SYS_TIME"},
    {CAP_SYS_TTY_CONFIG, "SYS_TTY_CONFIG"},
    {CAP_MKNOD, "MKNOD"},
    {CAP_LEASE, "LEASE"},
    {CAP_AUDIT_WRITE, "AUDIT_WRITE"},
    {CAP_AUDIT_CONTROL, "AUDIT_CONTROL"},
    {CAP_SETFCAP, "SETFCAP"},
    {CAP_MAC_OVERRIDE, "MAC_OVERRIDE"},
    {CAP_MAC_ADMIN, "MAC_ADMIN"},
    {CAP_SYSLOG, "SYSLOG"},
    {CAP_WAKE_ALARM, "WAKE_ALARM"},
    {CAP_BLOCK_SUSPEND, "BLOCK_SUSPEND"},
    {CAP_AUDIT_READ, "AUDIT_READ"},
    {CAP_PERFMON, "PERFMON"},
    {CAP_BPF, "BPF"},
    {CAP_CHECKPOINT_RESTORE, "CHECKPOINT_RESTORE"},
}};
// [capability-names]

constexpr Set bit(int capability) { return Set{1} << capability; }

constexpr Set kAll = (Set{1} << kCapabilities.size()) - 1;

/// "cap_net_admin" and "NET_ADMIN" both become "NET_ADMIN", as in Docker.
std::string normalise(std::string_view name) {
  std::string upper(name);
  std::ranges::transform(upper, upper.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper.starts_with("CAP_")) {
    upper.erase(0, 4);
  }
  return upper;
}

/// Throws the failure of \p call from errno, with the object named by
/// \p name_object: the name is formatted only then, not for each of the
/// two dozen capabilities dropped on every start.
template <typename NameObject>
[[noreturn]] void fail(std::string_view call, NameObject name_object) {
  const int error = errno; // formatting the name may change errno
  throw nslab::Error(error, std::string(call), name_object());
}

/// Drops every capability that \p keep lacks from the bounding set, up to
/// the last one this kernel knows, newer ones than ours included. Past that
/// last one PR_CAPBSET_DROP fails with EINVAL, which ends the loop: no need
/// to count the capabilities first.
void drop_from_bounding_set(Set keep) {
  for (int capability = 0; capability < std::numeric_limits<Set>::digits; ++capability) {
    if (keep & bit(capability) || ::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0) {
      continue;
    }
    if (errno == EINVAL) {
      return;
    }
    fail("prctl", [&] { return fmt::format("PR_CAPBSET_DROP {}", capability); });
  }
}

/// The permitted set: in our new user namespace, every capability this
/// kernel knows, and the most capset(2) can keep. A newer name than the
/// kernel's simply has no effect.
Set permitted() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, 2> data{};
  nslab::check(::syscall(SYS_capget, &header, data.data()), "capget", "self");
  return data[0].permitted | Set{data[1].permitted} << 32;
}

} // namespace

Set docker_default() {
  return bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_FSETID) | bit(CAP_FOWNER) |
         bit(CAP_MKNOD) | bit(CAP_NET_RAW) | bit(CAP_SETGID) | bit(CAP_SETUID) | bit(CAP_SETFCAP) |
         bit(CAP_SETPCAP) | bit(CAP_NET_BIND_SERVICE) | bit(CAP_SYS_CHROOT) | bit(CAP_KILL) |
         bit(CAP_AUDIT_WRITE);
}

void record(Changes& changes, std::string_view name, bool adding, std::string_view option) {
  const std::string wanted = normalise(name);
  if (wanted == "ALL") {
    (adding ? changes.add_all : changes.drop_all) = true;
    return;
  }
  const auto found = std::ranges::find(kCapabilities, wanted, &Capability::name);
  if (found == kCapabilities.end()) {
    throw nslab::UsageError(fmt::format(
        "{}: unknown capability '{}' (a name from capabilities(7), e.g. NET_ADMIN, or ALL)", option,
        name));
  }
  (adding ? changes.add : changes.drop) |= bit(found->number);
}

// [resolve-capabilities]
Set resolve(const Changes& changes) {
  if (changes.add_all) {
    return kAll & ~changes.drop;
  }
  if (changes.drop_all) {
    return changes.add;
  }
  return (docker_default() & ~changes.drop) | changes.add;
}
// [resolve-capabilities]

std::string names(Set set) {
  std::string text;
  for (const Capability& capability : kCapabilities) {
    if (set & bit(capability.number)) {
      text += fmt::format("{}{}", text.empty() ? "" : " ", capability.name);
    }
  }
  return text.empty() ? "none" : text;
}

int count(Set set) { return std::popcount(set); }

// [limit-capabilities]
void limit_to(Set keep) {
  // The bounding set first: it caps what any later execve(2) can grant, even
  // to root or a file with capabilities, and dropping from it needs
  // CAP_SETPCAP, which the capset() below may take away.
  drop_from_bounding_set(keep);
  // Ambient capabilities would survive an exec of an ordinary program.
  nslab::check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl",
               "PR_CAP_AMBIENT_CLEAR_ALL");
  // Inheritable stays empty, as in Docker since CVE-2022-24769: a non-root
  // user inside could otherwise gain those capabilities by executing a file
  // that carries them as inheritable file capabilities.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  const Set kept = keep & permitted();
  std::array<__user_cap_data_struct, 2> data{};
  for (std::size_t half = 0; half < data.size(); ++half) {
    const auto word = static_cast<std::uint32_t>(kept >> (32 * half));
    data[half].effective = word;
    data[half].permitted = word;
    data[half].inheritable = 0;
  }
  if (::syscall(SYS_capset, &header, data.data()) == -1) {
    fail("capset", [&] { return names(kept); });
  }
}
// [limit-capabilities]

} // namespace isolate::caps
