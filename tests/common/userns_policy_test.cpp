// common: detecting Ubuntu's AppArmor restriction on user namespaces. This
// machine may have no AppArmor, so the tests write the sysctl file themselves.
#include "harness.hpp"
#include "nslab/userns_policy.hpp"

#include <cerrno>
#include <fmt/core.h>
#include <fstream>
#include <gtest/gtest.h>

namespace {

using nslab::apparmor_restricts_userns;
using nslab::apparmor_userns_hint;
using nslab::testing::TempDir;

/// A stand-in for /proc/sys/kernel/apparmor_restrict_unprivileged_userns
/// holding \p text, as the kernel writes it (a number and a newline).
std::string sysctl_file(const TempDir& dir, const std::string& text) {
  const std::string path = dir.path() + "/apparmor_restrict_unprivileged_userns";
  std::ofstream(path) << text;
  return path;
}

TEST(UsernsPolicy, RestrictedWhenTheSysctlIsOne) {
  const TempDir dir;
  EXPECT_TRUE(apparmor_restricts_userns(sysctl_file(dir, "1\n")));
}

TEST(UsernsPolicy, NotRestrictedWhenTheSysctlIsZero) {
  const TempDir dir;
  EXPECT_FALSE(apparmor_restricts_userns(sysctl_file(dir, "0\n")));
}

TEST(UsernsPolicy, NotRestrictedWithoutTheSysctl) {
  // Kernels without Ubuntu's AppArmor patch (Debian, Fedora) have no such file.
  const TempDir dir;
  EXPECT_FALSE(apparmor_restricts_userns(dir.path() + "/no-such-sysctl"));
}

TEST(UsernsPolicy, NotRestrictedWhenTheSysctlIsNotANumber) {
  const TempDir dir;
  EXPECT_FALSE(apparmor_restricts_userns(sysctl_file(dir, "")));
  EXPECT_FALSE(apparmor_restricts_userns(sysctl_file(dir, "yes\n")));
}

TEST(UsernsPolicy, HintNamesTheSysctlAndBothFixesForEperm) {
  const TempDir dir;
  const std::string hint = apparmor_userns_hint(EPERM, sysctl_file(dir, "1\n"));
  EXPECT_NE(hint.find("kernel.apparmor_restrict_unprivileged_userns = 1"), std::string::npos)
      << hint;
  EXPECT_NE(hint.find("sudo"), std::string::npos) << hint;
  EXPECT_NE(hint.find("./lab setup"), std::string::npos) << hint;
  EXPECT_EQ(hint.find('\n'), std::string::npos) << "the hint is one line: " << hint;
}

TEST(UsernsPolicy, NoHintForOtherErrorsOrWithoutTheRestriction) {
  const TempDir dir;
  EXPECT_EQ(apparmor_userns_hint(EINVAL, sysctl_file(dir, "1\n")), "");
  EXPECT_EQ(apparmor_userns_hint(EPERM, sysctl_file(dir, "0\n")), "");
  EXPECT_EQ(apparmor_userns_hint(EPERM, dir.path() + "/no-such-sysctl"), "");
}

} // namespace

// The programs themselves, on a stand-in for Ubuntu: in a private mount
// namespace, /proc/sys/kernel becomes a tmpfs holding the sysctl, and the
// programs run as nobody. uts-demo's own clone fails with EPERM (the parent's
// error); isolate's child cannot mount a fresh /proc over a /proc with a
// mount on it (the child's error, which comes back over the error channel).
// \p value is what the sysctl file says: 1, or 0 for the control run.
nslab::testing::Result run_as_nobody_with_sysctl(const std::string& value) {
  const std::string script =
      fmt::format("mount --make-rprivate / && mount -t tmpfs nslab-sysctl /proc/sys/kernel && "
                  "echo {} > /proc/sys/kernel/apparmor_restrict_unprivileged_userns || exit 99; "
                  "setpriv --reuid=65534 --regid=65534 --clear-groups -- {} -n box -- true; "
                  "setpriv --reuid=65534 --regid=65534 --clear-groups -- {} true",
                  value, nslab::testing::program("uts-demo"), nslab::testing::program("isolate"));
  nslab::testing::Command command({"unshare", "-m", "sh", "-c", script});
  command.root_in_user_namespace = false; // the mounts need real root, or the test skips
  return nslab::testing::run(command);
}

TEST(UsernsPolicy, ProgramsPrintTheHintUnderAnEpermWhenTheSysctlSaysOne) {
  const auto r = run_as_nobody_with_sysctl("1");
  if (r.code() == 99 || r.err.find("unshare: unshare failed") != std::string::npos) {
    GTEST_SKIP() << "needs root to put a stand-in sysctl over /proc/sys/kernel\n" << r.describe();
  }
  const std::string hint = "AppArmor gives unprivileged user namespaces no capabilities here";
  EXPECT_NE(r.err.find("uts-demo: clone: Operation not permitted\n" + hint), std::string::npos)
      << r.describe();
  EXPECT_NE(r.err.find("isolate: mount(/proc): Operation not permitted\n" + hint),
            std::string::npos)
      << r.describe();
}

TEST(UsernsPolicy, ProgramsPrintNoHintWhenTheSysctlSaysZero) {
  const auto r = run_as_nobody_with_sysctl("0");
  if (r.code() == 99 || r.err.find("unshare: unshare failed") != std::string::npos) {
    GTEST_SKIP() << "needs root to put a stand-in sysctl over /proc/sys/kernel\n" << r.describe();
  }
  EXPECT_NE(r.err.find("uts-demo: clone: Operation not permitted"), std::string::npos)
      << r.describe();
  EXPECT_EQ(r.err.find("AppArmor"), std::string::npos) << r.describe();
}
