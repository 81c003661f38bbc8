#include "nslab/userns_policy.hpp"

#include <cerrno>
#include <fstream>

namespace nslab {

bool apparmor_restricts_userns(const std::filesystem::path& sysctl) {
  std::ifstream file(sysctl);
  int value = 0;
  return file >> value && value == 1;
}

std::string apparmor_userns_hint(int errnum, const std::filesystem::path& sysctl) {
  if (errnum != EPERM || !apparmor_restricts_userns(sysctl)) {
    return {};
  }
  // sudo works for every part. The profile helps only a program that makes
  // its user namespace itself (isolate, and the checks' harness): one made
  // by `unshare -Ur` still belongs to unshare, which the profile does not cover.
  return "AppArmor gives unprivileged user namespaces no capabilities here "
         "(kernel.apparmor_restrict_unprivileged_userns = 1): run it with sudo, or, for "
         "isolate and the checks, run 'sudo ./lab setup' once to load nslab's AppArmor profile";
}

} // namespace nslab
