// part4: isolate --volume, checked from the host: what the container wrote
// lands in the host directory, :ro refuses every write down the whole tree,
// and a bad volume costs one line and 125 before anything is set up.
#include "isolate_helpers.hpp"
#include "why.hpp"

#include "nslab/error.hpp"

#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

namespace {

using namespace nslab::testing;
using namespace isolate_test;

/// The container directory the tests use: under /tmp, which is a tmpfs
/// inside, so making it writes nothing into the rootfs.
constexpr const char* kInside = "/tmp/vol";

Result isolate_sh(Words options, const std::string& script) {
  options.insert(options.end(), {"sh", "-c", script});
  return run(isolate_command(std::move(options)));
}

std::string volume(const TempDir& dir, const char* mode = "") {
  return fmt::format("{}:{}{}", dir.path(), kInside, mode);
}

/// A tmpfs mounted on a directory in a mount namespace of this test process
/// alone (ctest runs each test in a process of its own), so the host never
/// sees it. Needs root. Unmounted on destruction, also after a failed
/// assertion, so that the TempDir around it can be removed.
class PrivateTmpfs {
public:
  explicit PrivateTmpfs(std::string path) : path_(std::move(path)) {
    mounted_ = ::unshare(CLONE_NEWNS) == 0 &&
               ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
               ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=64k") == 0;
  }
  PrivateTmpfs(const PrivateTmpfs&) = delete;
  PrivateTmpfs& operator=(const PrivateTmpfs&) = delete;
  ~PrivateTmpfs() {
    if (mounted_) {
      ::umount2(path_.c_str(), MNT_DETACH);
    }
  }
  [[nodiscard]] bool mounted() const { return mounted_; }

private:
  std::string path_;
  bool mounted_ = false;
};

/// The mountinfo line of \p point inside the container, "" if none.
std::string mount_line(const std::string& mountinfo, const std::string& point) {
  for (const std::string& line : lines(mountinfo)) {
    const Words fields = words(line);
    if (fields.size() > 4 && fields[4] == point) {
      return line;
    }
  }
  return "";
}

TEST(Volumes, FileWrittenInsideAReadWriteVolumeAppearsOnTheHost) {
  const TempDir dir;
  std::ofstream(dir.path() + "/from-host") << "host\n";
  const Result r =
      isolate_sh({"--volume", volume(dir)}, "cat /tmp/vol/from-host && echo inside > /tmp/vol/new");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "host\n") << printed(r, "host\n");
  EXPECT_EQ(read_file(dir.path() + "/new"), "inside\n")
      << after(r, "the file written in the volume is not on the host");
}

TEST(Volumes, MissingContainerDirIsMadeInTheWritableLayer) {
  const TempDir dir;
  const std::string rootfs = NSLAB_ISOLATE_ROOTFS;
  const Result r =
      isolate_sh({"--volume", dir.path() + ":/srv/new/data"}, "echo deep > /srv/new/data/file");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(read_file(dir.path() + "/file"), "deep\n")
      << after(r, "the file written in the volume is not on the host");
  EXPECT_FALSE(std::filesystem::exists(rootfs + "/srv")) << why("the host's rootfs was written");
}

TEST(Volumes, ReadOnlyVolumeRefusesWritesWithErofs) {
  const TempDir dir;
  std::ofstream(dir.path() + "/kept") << "host\n";
  const Result r = isolate_sh({"--volume", volume(dir, ":ro")},
                              "cat /tmp/vol/kept; echo x > /tmp/vol/kept; rm /tmp/vol/kept; "
                              "touch /tmp/vol/new; true");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "host\n") << printed(r, "host\n");
  EXPECT_EQ(lines(r.err).size(), 3u) << complained(r, "three refusals");
  for (const std::string& line : lines(r.err)) {
    EXPECT_NE(line.find("Read-only file system"), std::string::npos)
        << did_not_say(r, "Read-only file system");
  }
  EXPECT_EQ(read_file(dir.path() + "/kept"), "host\n")
      << after(r, "a file of the read-only volume changed on the host");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/new"))
      << after(r, "a file was made in the read-only volume");
}

TEST(Volumes, ReadOnlyCoversMountsBelowTheHostDirectoryToo) {
  if (runs_in_user_namespace()) {
    GTEST_SKIP() << "needs root to mount a tmpfs below the volume's host directory";
  }
  const TempDir dir;
  const std::string below = dir.path() + "/below";
  std::filesystem::create_directory(below);
  const PrivateTmpfs tmpfs(below);
  ASSERT_TRUE(tmpfs.mounted()) << std::strerror(errno);
  const Result r = isolate_sh({"--volume", volume(dir, ":ro")},
                              "touch /tmp/vol/below/new; grep ' /tmp/vol' /proc/self/mountinfo");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos)
      << did_not_say(r, "Read-only file system");
  EXPECT_FALSE(std::filesystem::exists(below + "/new"))
      << after(r, "a file was made in a mount below the read-only volume");
  // Both mounts, the volume and the one below it, read-only.
  const std::string mountinfo = r.out;
  for (const std::string point : {"/tmp/vol", "/tmp/vol/below"}) {
    const Words fields = words(mount_line(mountinfo, point));
    ASSERT_GT(fields.size(), 5u) << after(r, std::string(point) + " is not mounted");
    EXPECT_EQ(fields[5].rfind("ro,", 0), 0u) << after(r, point + " is not mounted read-only");
  }
}

TEST(Volumes, MountIsNosuidNodevPrivateAndInvisibleToTheHost) {
  const TempDir dir;
  // As root, from a mount namespace of the test's own where every mount is
  // shared, as systemd makes the host's: a careless copy would stay in
  // the peer group.
  if (!runs_in_user_namespace()) {
    ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr), 0)
        << std::strerror(errno);
  }
  const std::string host_mounts = read_file("/proc/self/mountinfo");
  const Result r = isolate_sh({"--volume", volume(dir)}, "cat /proc/self/mountinfo");
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const Words fields = words(mount_line(r.out, kInside));
  ASSERT_GT(fields.size(), 6u) << after(r, "the volume is not in the container's mount table");
  EXPECT_NE(fields[5].find("nosuid"), std::string::npos)
      << after(r, "the volume is mounted " + in_quotes(fields[5]) + ", without nosuid");
  EXPECT_NE(fields[5].find("nodev"), std::string::npos)
      << after(r, "the volume is mounted " + in_quotes(fields[5]) + ", without nodev");
  // Optional fields (shared:N, master:N) sit between the options and "-".
  EXPECT_EQ(fields[6], "-") << after(r, "the volume is tied to a peer group:");
  EXPECT_EQ(read_file("/proc/self/mountinfo"), host_mounts)
      << after(r, "the host's mount table changed");
}

TEST(Volumes, RelativeHostDirIsTakenFromTheWorkingDirectory) {
  const TempDir dir;
  std::filesystem::create_directory(dir.path() + "/sub");
  std::ofstream(dir.path() + "/sub/mark") << "relative\n";
  // env -C: isolate starts in dir, where "sub" is the volume.
  const Result r = run(
      prefixed({"env", "-C", dir.path()}, {"--volume", "sub:/tmp/vol:ro", "cat", "/tmp/vol/mark"}));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "relative\n") << printed(r, "relative\n");
}

TEST(Volumes, MissingHostDirGives125AndOneLineBeforeAnyNamespace) {
  const TempDir dir;
  const std::string missing = dir.path() + "/missing";
  const Result r = run(isolate_command({"-v", "--volume", missing + ":/data", "true"}));
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::string expected =
      fmt::format("isolate: --volume {0}:/data: {0}: No such file or directory\n", missing);
  EXPECT_EQ(r.err, expected) << complained(r, expected);
  EXPECT_EQ(r.out, "") << after(r, "a setup step ran");
}

TEST(Volumes, BadSpecGives125NamingTheOption) {
  for (const char* spec : {"nocolon", ":/data", "/tmp:data", "/tmp:/", "/tmp:/data:rx"}) {
    const Result r = run(isolate_command({"--volume", spec, "true"}));
    EXPECT_EQ(r.code(), 125) << exited(r, 125);
    EXPECT_EQ(r.err.rfind(fmt::format("isolate: --volume {}: ", spec), 0), 0u)
        << complained(r, fmt::format("isolate: --volume {}: ...", spec));
  }
}

} // namespace
