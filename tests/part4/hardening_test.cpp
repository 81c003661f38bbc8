// part4: isolate as a sandbox. Each check performs an attack from inside
// the container, once started by root and once rootless (as nobody when
// the suite runs as root), and asserts from the host that it failed and
// that the host is as it was.
#include "harness.hpp"

#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace nslab::testing;
using Words = std::vector<std::string>;
namespace fs = std::filesystem;

/// The ids a rootless run uses when the suite may switch to them (see
/// Command::rootless).
constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

/// Everything about one file that an attack could change: type, mode,
/// owner, modification time, and the contents or the link's target.
std::string describe_file(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    return "gone";
  }
  std::string text = fmt::format("mode {:o} owner {}:{} size {} mtime {}.{}", info.st_mode,
                                 info.st_uid, info.st_gid, info.st_size, info.st_mtim.tv_sec,
                                 info.st_mtim.tv_nsec);
  if (S_ISLNK(info.st_mode)) {
    text += " -> " + fs::read_symlink(path).string();
  } else if (S_ISREG(info.st_mode)) {
    text += " contents " + std::to_string(std::hash<std::string>{}(read_file(path)));
  }
  return text;
}

/// The whole tree under \p root, path by path.
using Tree = std::map<std::string, std::string>;

Tree snapshot(const std::string& root) {
  Tree tree{{".", describe_file(root)}};
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    tree[fs::relative(entry.path(), root).string()] = describe_file(entry.path());
  }
  return tree;
}

/// A private copy of the busybox rootfs, owned by the user isolate runs as,
/// so that the container's root could write to it if nothing stopped it:
/// the strongest position for an attack on the host's rootfs directory.
class PrivateRootfs {
public:
  explicit PrivateRootfs(bool rootless) {
    fs::copy(NSLAB_ISOLATE_ROOTFS, path(),
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    // TempDir is 0700: the user isolate runs as must reach the copy.
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_exec |
                                     fs::perms::others_exec);
    if (rootless) {
      give_to_nobody();
    }
  }
  [[nodiscard]] std::string path() const { return dir_.path() + "/rootfs"; }

private:
  /// Fails harmlessly when the suite runs unprivileged: then nobody is not
  /// who runs isolate, and the copy is the caller's own already.
  void give_to_nobody() const {
    ::lchown(path().c_str(), kNobody, kNogroup);
    for (const auto& entry : fs::recursive_directory_iterator(path())) {
      ::lchown(entry.path().c_str(), kNobody, kNogroup);
    }
  }
  TempDir dir_;
};

/// The parameter: true for a rootless run.
class Hardening : public ::testing::TestWithParam<bool> {
protected:
  [[nodiscard]] bool rootless() const { return GetParam(); }

  /// `isolate -r ROOTFS OPTIONS... COMMAND...`, root or rootless, on the
  /// test's own copy of the rootfs.
  [[nodiscard]] Result isolate(Words words) const {
    words.insert(words.begin(), {program("isolate"), "-r", rootfs_.path()});
    Command command{words};
    command.root_in_user_namespace = false; // isolate makes its own
    command.rootless = rootless();
    return run(command);
  }
  [[nodiscard]] Result isolate_sh(Words options, const std::string& script) const {
    options.insert(options.end(), {"sh", "-c", script});
    return isolate(std::move(options));
  }

  PrivateRootfs rootfs_{rootless()};
  /// The rootfs as the host sees it before the attack.
  Tree before_ = snapshot(rootfs_.path());
  void expect_rootfs_unchanged() const {
    EXPECT_EQ(snapshot(rootfs_.path()), before_) << "the host's rootfs directory changed";
  }
};

INSTANTIATE_TEST_SUITE_P(RootAndRootless, Hardening, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "rootless" : "root";
                         });

// --- the root filesystem -----------------------------------------------------

TEST_P(Hardening, WriteInEtcSucceedsAndIsGoneInTheNextRun) {
  const Result write = isolate_sh({}, "echo planted > /etc/planted && cat /etc/planted");
  EXPECT_EQ(write.code(), 0) << write.describe();
  EXPECT_EQ(write.out, "planted\n") << write.describe();
  const Result next = isolate({"cat", "/etc/planted"});
  EXPECT_NE(next.code(), 0) << "the write outlived its container\n" << next.describe();
  expect_rootfs_unchanged();
}

TEST_P(Hardening, ReadOnlyMakesWritesFailWithErofs) {
  const Result r = isolate_sh({"--read-only"}, "echo planted > /etc/planted");
  EXPECT_NE(r.code(), 0) << r.describe();
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.describe();
  expect_rootfs_unchanged();
}

// Issue: a set-user-ID copy of a shell planted in the shared rootfs, for an
// ordinary host user to run as root; and every other write reaching the
// rootfs directory.
TEST_P(Hardening, RootfsTreeIsUnchangedAfterAnAttackOnIt) {
  for (const Words& options : {Words{}, Words{"--read-only"}}) {
    const Result r = isolate_sh(options, "cp /bin/busybox /suid; chmod 4755 /suid; "
                                         "chmod 777 /etc; chown 65534 /etc/passwd; "
                                         "echo evil >> /etc/passwd; rm -f /bin/ls; "
                                         "mkdir /planted; touch -d 2000-01-01 /etc/hosts; true");
    EXPECT_EQ(r.code(), 0) << r.describe();
    expect_rootfs_unchanged();
    EXPECT_FALSE(fs::exists(rootfs_.path() + "/suid"));
  }
}

TEST_P(Hardening, RootfsIsNosuidAndNodevInside) {
  for (Words words : {Words{}, Words{"--read-only"}}) {
    const bool read_only = !words.empty();
    words.insert(words.end(), {"cat", "/proc/self/mountinfo"});
    const Result r = isolate(words);
    ASSERT_EQ(r.code(), 0) << r.describe();
    std::istringstream lines(r.out);
    std::string root_options;
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string id, parent, device, source, mount_point, mount_options;
      fields >> id >> parent >> device >> source >> mount_point >> mount_options;
      if (mount_point == "/") {
        root_options = mount_options;
      }
    }
    EXPECT_NE(root_options.find("nosuid"), std::string::npos) << r.describe();
    EXPECT_NE(root_options.find("nodev"), std::string::npos) << r.describe();
    EXPECT_EQ(root_options.starts_with("ro,"), read_only) << r.describe();
  }
}

} // namespace
