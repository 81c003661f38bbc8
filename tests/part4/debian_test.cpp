// part4: isolate on a real distribution, Debian 12 made by mmdebstrap
// (build/debian-rootfs, see part4-isolate/make-debian-rootfs.sh). The
// checks run ordinary work inside, as root, and prove from the host that
// the host's copy of the rootfs never changed.
#include "isolate_helpers.hpp"
#include "rootfs_snapshot.hpp"
#include "why.hpp"

#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <gtest/gtest.h>

namespace {

using namespace nslab::testing;
using namespace isolate_test;

const std::string kRootfs = NSLAB_DEBIAN_ROOTFS;

/// Why there is no Debian rootfs to run in, or "" when there is one.
std::string why_no_rootfs() {
  if (std::filesystem::exists(kRootfs + "/.nslab-complete")) {
    return "";
  }
  const std::string reason = read_file(kRootfs + ".skip");
  return reason.empty() ? "it was not built yet: run ./lab build as root" : reason;
}

class DebianRootfs : public ::testing::Test {
protected:
  void SetUp() override {
    if (runs_in_user_namespace()) {
      GTEST_SKIP() << "the Debian rootfs belongs to host root (mmdebstrap's root mode)";
    }
    if (const std::string why = why_no_rootfs(); !why.empty()) {
      GTEST_SKIP() << "no Debian rootfs: " << why;
    }
    before_ = picture_of(kRootfs);
  }
  void TearDown() override {
    if (!before_.empty()) {
      EXPECT_EQ(differences(before_, picture_of(kRootfs)), "")
          << why("the container changed the host's copy of the rootfs");
    }
  }

  /// isolate -r ROOTFS OPTIONS sh -c SCRIPT
  static Result in_debian(Words options, const std::string& script) {
    options.insert(options.begin(), {"-r", kRootfs});
    options.insert(options.end(), {"sh", "-c", script});
    Command command = isolate_command(std::move(options));
    command.timeout = std::chrono::seconds(50);
    return run(command);
  }

private:
  TreePicture before_;
};

TEST_F(DebianRootfs, ChownToAnyIdOfTheRangeWorks) {
  const Result r = in_debian({}, "touch /tmp/f && chown 1000:1000 /tmp/f && stat -c %u:%g /tmp/f "
                                 "&& chown _apt:nogroup /tmp/f && stat -c %U:%G /tmp/f");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "1000:1000\n_apt:nogroup\n") << printed(r, "1000:1000\n_apt:nogroup\n");
}

TEST_F(DebianRootfs, DroppingPrivilegesToAnotherUserWorks) {
  // What su, apt and every daemon do: setgroups, setgid, setuid.
  const Result r = in_debian({}, "setpriv --reuid=_apt --regid=nogroup --clear-groups id");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "uid=42(_apt) gid=65534(nogroup) groups=65534(nogroup)\n")
      << printed(r, "uid=42(_apt) gid=65534(nogroup) groups=65534(nogroup)\n");
}

TEST_F(DebianRootfs, ResolvesLocalhostAndItsOwnHostname) {
  // The rootfs has no /etc/hosts: isolate makes one to mount on, in the
  // writable layer (TearDown checks that the host's copy did not change).
  const Result r =
      in_debian({"-H", "box", "--net", "loopback"}, "getent hosts localhost && getent hosts box");
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const Words found = lines(r.out);
  ASSERT_EQ(found.size(), 2u) << printed(r, "two lines: localhost's and box's");
  const Words localhost = words(found[0]);
  EXPECT_TRUE(localhost.at(0) == "::1" || localhost.at(0) == "127.0.0.1")
      << printed(r, "127.0.0.1 (or ::1) localhost\n127.0.1.1 box");
  EXPECT_EQ(localhost.at(1), "localhost")
      << printed(r, "127.0.0.1 (or ::1) localhost\n127.0.1.1 box");
  EXPECT_EQ(words(found[1]), (Words{"127.0.1.1", "box"}))
      << printed(r, "127.0.0.1 (or ::1) localhost\n127.0.1.1 box");
}

TEST_F(DebianRootfs, ResolvConfIsTheRootfsOwn) {
  const Result r = in_debian({}, "cat /etc/resolv.conf");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, read_file(kRootfs + "/etc/resolv.conf"))
      << printed(r, read_file(kRootfs + "/etc/resolv.conf"));
}

/// Builds nslab-hello_1.0_all.deb in \p dir with dpkg-deb: one file,
/// /usr/share/nslab-hello/greeting. Returns the package's file name.
std::string build_tiny_package(const std::string& dir) {
  const std::filesystem::path tree = dir + "/tree";
  std::filesystem::create_directories(tree / "DEBIAN");
  std::filesystem::create_directories(tree / "usr/share/nslab-hello");
  std::ofstream(tree / "DEBIAN/control")
      << "Package: nslab-hello\n"
         "Version: 1.0\n"
         "Architecture: all\n"
         "Maintainer: nslab <nslab@example.invalid>\n"
         "Description: a tiny package the part 4 checks install\n";
  std::ofstream(tree / "usr/share/nslab-hello/greeting") << "hello\n";
  Command build{
      {"dpkg-deb", "--root-owner-group", "--build", tree.string(), dir + "/nslab-hello.deb"}};
  build.root_in_user_namespace = false;
  const Result r = run(build);
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  return "nslab-hello.deb";
}

TEST_F(DebianRootfs, AptInstallsALocallyBuiltPackage) {
  const TempDir packages;
  const std::string deb = build_tiny_package(packages.path());
  // apt drops to its _apt user (uid 42) and dpkg renames new directories
  // into old ones: both fail without the id range and a proper layer.
  const Result r = in_debian({"--volume", packages.path() + ":/mnt/packages:ro"},
                             fmt::format("apt-get install -y /mnt/packages/{} >&2 && "
                                         "dpkg-query -W -f='${{Status}}\n' nslab-hello && "
                                         "cat /usr/share/nslab-hello/greeting",
                                         deb));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "install ok installed\nhello\n") << printed(r, "install ok installed\nhello\n");
  EXPECT_FALSE(std::filesystem::exists(kRootfs + "/usr/share/nslab-hello"));
}

} // namespace
