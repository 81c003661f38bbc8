// part4: isolate's id ranges, checked from the host: the maps the kernel
// holds for the container's processes, and who owns on the host a file the
// container chowned.
#include "etc_files.hpp"
#include "isolate_helpers.hpp"
#include "subordinate_ids.hpp"
#include "why.hpp"

#include <cstring>
#include <filesystem>
#include <fmt/core.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <optional>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

namespace {

using namespace nslab::testing;
using namespace isolate_test;

/// Ends a container started by start_container(): its init passes the
/// SIGTERM on to `sleep`.
void stop(Running& running) {
  running.send_signal(SIGTERM);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 143) << exited(r, 143);
}

/// Starts `isolate --init OPTIONS sh -c '...'`, with \p prefix in front,
/// which makes /tmp/owned, chowns it to 1000:1000 inside, and waits.
Running start_container(Words prefix, Words options) {
  options.insert(options.begin(), "--init");
  options.insert(options.end(), {"sh", "-c",
                                 "cat /proc/self/uid_map && touch /tmp/owned && "
                                 "chown 1000:1000 /tmp/owned && echo ready && exec sleep 100"});
  Running running = start(prefixed(std::move(prefix), std::move(options)));
  EXPECT_TRUE(running.wait_for_output("ready\n")) << has_not_printed(running, "ready\n");
  return running;
}

struct HostOwner {
  uid_t uid;
  gid_t gid;
  bool operator==(const HostOwner&) const = default;
};

std::ostream& operator<<(std::ostream& out, const HostOwner& owner) {
  return out << owner.uid << ':' << owner.gid;
}

/// Who owns, in host ids, the file \p path inside the container of \p pid.
HostOwner host_owner(pid_t pid, const char* path) {
  struct stat info {};
  const std::string seen_from_host = fmt::format("/proc/{}/root{}", pid, path);
  if (::stat(seen_from_host.c_str(), &info) != 0) {
    ADD_FAILURE() << "cannot stat " << seen_from_host;
  }
  return {info.st_uid, info.st_gid};
}

Words map_of(pid_t pid, const char* file) {
  return words(read_file(fmt::format("/proc/{}/{}", pid, file)));
}

/// The reason when the map \p file of \p pid, read from the host, is not \p expected.
std::string map_differs(pid_t pid, const char* file, const Words& expected) {
  return why(fmt::format("the container's {} reads \"{}\", expected \"{}\"", file,
                         fmt::join(map_of(pid, file), " "), fmt::join(expected, " ")));
}

/// The reason when \p path in \p pid's root is not owned by \p expected on the host.
std::string owner_differs(pid_t pid, const char* path, HostOwner expected) {
  const HostOwner owner = host_owner(pid, path);
  return why(fmt::format("{} in the container belongs to {}:{} on the host, expected {}:{}", path,
                         owner.uid, owner.gid, expected.uid, expected.gid));
}

/// Skips a test that needs host root, for \p reason.
#define SKIP_UNLESS_HOST_ROOT(reason)                                                              \
  if (runs_in_user_namespace()) {                                                                  \
    GTEST_SKIP() << "needs host root: " << (reason);                                               \
  }

constexpr const char* kToMapOtherIds = "only root may map host ids other than its own";
constexpr const char* kToSwitchUsers = "to run isolate as another user";

// --- as root -----------------------------------------------------------------

TEST(IdRanges, RootMapsContainerIdsOntoTheSameHostIds) {
  SKIP_UNLESS_HOST_ROOT(kToMapOtherIds);
  Running running = start_container({}, {});
  const pid_t container = container_pid(running.pid());
  ASSERT_GT(container, 0) << why("isolate has no container process");
  EXPECT_EQ(map_of(container, "uid_map"), (Words{"0", "0", "65536"}))
      << map_differs(container, "uid_map", Words{"0", "0", "65536"});
  EXPECT_EQ(map_of(container, "gid_map"), (Words{"0", "0", "65536"}))
      << map_differs(container, "gid_map", Words{"0", "0", "65536"});
  // apt and su drop their groups: setgroups must stay allowed.
  EXPECT_EQ(read_file(fmt::format("/proc/{}/setgroups", container)), "allow\n")
      << why("the container's setgroups is not \"allow\": as root, leave it allowed");
  EXPECT_EQ(host_owner(container, "/tmp/owned"), (HostOwner{1000, 1000}))
      << owner_differs(container, "/tmp/owned", HostOwner{1000, 1000});
  stop(running);
}

TEST(IdRanges, UsernsRemapShiftsEveryIdOntoTheGivenBase) {
  SKIP_UNLESS_HOST_ROOT(kToMapOtherIds);
  Running running = start_container({}, {"--userns-remap", "500000000"});
  const pid_t container = container_pid(running.pid());
  ASSERT_GT(container, 0) << why("isolate has no container process");
  EXPECT_EQ(map_of(container, "uid_map"), (Words{"0", "500000000", "65536"}))
      << map_differs(container, "uid_map", Words{"0", "500000000", "65536"});
  EXPECT_EQ(map_of(container, "gid_map"), (Words{"0", "500000000", "65536"}))
      << map_differs(container, "gid_map", Words{"0", "500000000", "65536"});
  // Container root really is host uid 500000000, and its uid 1000 is 500001000.
  EXPECT_EQ(host_owner(container, "/proc/1"), (HostOwner{500000000, 500000000}))
      << owner_differs(container, "/proc/1", HostOwner{500000000, 500000000});
  EXPECT_EQ(host_owner(container, "/tmp/owned"), (HostOwner{500001000, 500001000}))
      << owner_differs(container, "/tmp/owned", HostOwner{500001000, 500001000});
  stop(running);
}

TEST(IdRanges, MapUserStillMapsRootAlone) {
  SKIP_UNLESS_HOST_ROOT(kToMapOtherIds);
  const Result r = run(isolate_command(
      {"-u", "4242:4343", "sh", "-c", "cat /proc/self/uid_map; chown 1000 /tmp 2>&1; echo $?"}));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  const Words out = lines(r.out);
  ASSERT_EQ(out.size(), 3u) << printed(r, "the uid map, chown's refusal, then 1");
  EXPECT_EQ(words(out[0]), (Words{"0", "4242", "1"})) << printed(r, "0 4242 1 (the uid map), ...");
  EXPECT_NE(out[1].find("Invalid argument"), std::string::npos)
      << after(r, "uid 1000 is not mapped");
  EXPECT_EQ(out[2], "1") << after(r, "chown to an unmapped uid did not fail");
}

TEST(IdRanges, BadRemapGives125AndOneLine) {
  for (const Words& bad :
       {Words{"--userns-remap", "0"}, Words{"--userns-remap", "4294901760"},
        Words{"--userns-remap", "x"}, Words{"-u", "1000", "--userns-remap", "100000"}}) {
    Words arguments = bad;
    arguments.emplace_back("true");
    const Result r = run(isolate_command(arguments));
    EXPECT_EQ(r.code(), 125) << exited(r, 125);
    const std::string first_line = r.err.substr(0, r.err.find('\n'));
    EXPECT_EQ(first_line.rfind("isolate: ", 0), 0u) << complained(r, "isolate: ...");
    EXPECT_NE(first_line.find(bad[bad.size() - 2]), std::string::npos)
        << complained(r, "isolate: ... naming " + bad[bad.size() - 2]);
  }
}

// --- rootless ------------------------------------------------------------------

/// setpriv words that run what follows as \p uid:gid with no supplementary
/// groups: an ordinary user, started by the root test.
Words as_user(uid_t uid, gid_t gid) {
  return {"setpriv", fmt::format("--reuid={}", uid), fmt::format("--regid={}", gid),
          "--clear-groups", "--"};
}

/// Runs \p words as root on the host; "" when it worked, else what it said.
std::string run_as_root(Words words) {
  Command command{std::move(words)};
  command.root_in_user_namespace = false;
  const Result r = run(command);
  return r.code() == 0 ? "" : r.describe();
}

constexpr const char* kUserPrefix = "nslabsub-";
constexpr unsigned long kSubuidStart = 600'000'000; // 100000 ids: isolate takes 65536
constexpr unsigned long kSubgidStart = 700'000'000; // 2000 ids: isolate takes them all

/// A user made for one test by useradd, with a subordinate uid range and a
/// smaller gid range; userdel removes it and its ranges again, also those
/// left by a test process that was killed before it could.
class SubordinateUser {
public:
  SubordinateUser() {
    remove_users_of_dead_tests();
    name_ = fmt::format("{}{}", kUserPrefix, ::getpid());
    error_ = run_as_root(
        {"useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name_});
    if (!error_.empty()) {
      return;
    }
    created_ = true;
    error_ = run_as_root(
        {"usermod", "--add-subuids", fmt::format("{}-{}", kSubuidStart, kSubuidStart + 99'999),
         "--add-subgids", fmt::format("{}-{}", kSubgidStart, kSubgidStart + 1999), name_});
    if (const passwd* entry = ::getpwnam(name_.c_str())) {
      uid_ = entry->pw_uid;
      gid_ = entry->pw_gid;
    }
  }
  SubordinateUser(const SubordinateUser&) = delete;
  SubordinateUser& operator=(const SubordinateUser&) = delete;
  ~SubordinateUser() {
    if (created_) {
      EXPECT_EQ(run_as_root({"userdel", name_}), "");
      EXPECT_EQ(read_file("/etc/subuid").find(name_), std::string::npos);
    }
  }
  /// Why the user could not be made, or "".
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] uid_t uid() const { return uid_; }
  [[nodiscard]] gid_t gid() const { return gid_; }

private:
  static void remove_users_of_dead_tests() {
    for (const std::string& line : lines(read_file("/etc/passwd"))) {
      if (line.rfind(kUserPrefix, 0) != 0) {
        continue;
      }
      const std::string name = line.substr(0, line.find(':'));
      if (!std::filesystem::exists(
              fmt::format("/proc/{}", name.substr(std::strlen(kUserPrefix))))) {
        (void)run_as_root({"userdel", name});
      }
    }
  }

  std::string name_;
  std::string error_;
  bool created_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

TEST(IdRanges, RootlessWithSubordinateIdsGetsThemThroughNewuidmap) {
  SKIP_UNLESS_HOST_ROOT("to make a user with /etc/subuid ranges");
  if (!isolate::find_on_path("newuidmap")) {
    GTEST_SKIP() << "newuidmap is not installed (Debian package uidmap)";
  }
  const SubordinateUser user;
  ASSERT_EQ(user.error(), "");
  Running running = start_container(as_user(user.uid(), user.gid()), {});
  const pid_t container = container_pid(running.pid());
  ASSERT_GT(container, 0) << why("isolate has no container process");
  // Root inside is the user; 1.. are its ranges, 65536 of the uids at most.
  const Words uids = {"0", std::to_string(user.uid()),   "1",
                      "1", std::to_string(kSubuidStart), "65536"};
  EXPECT_EQ(map_of(container, "uid_map"), uids) << map_differs(container, "uid_map", uids);
  const Words gids = {"0", std::to_string(user.gid()),   "1",
                      "1", std::to_string(kSubgidStart), "2000"};
  EXPECT_EQ(map_of(container, "gid_map"), gids) << map_differs(container, "gid_map", gids);
  const HostOwner owned{static_cast<uid_t>(kSubuidStart + 999),
                        static_cast<gid_t>(kSubgidStart + 999)};
  EXPECT_EQ(host_owner(container, "/tmp/owned"), owned)
      << owner_differs(container, "/tmp/owned", owned);
  // What the container saw: two lines, before "ready".
  const std::string out = running.out_so_far();
  EXPECT_TRUE(out.ends_with(fmt::format("{:>10} {:>10} {:>10}\n{:>10} {:>10} {:>10}\nready\n", 0,
                                        user.uid(), 1, 1, kSubuidStart, 65536)))
      << out;
  stop(running);
}

TEST(IdRanges, RootlessWithoutSubordinateIdsMapsItsOwnAndSaysWhy) {
  SKIP_UNLESS_HOST_ROOT(kToSwitchUsers); // nobody, who has no /etc/subuid range
  const Result r = run(
      prefixed(as_user(65534, 65534), {"-v", "cat", "/proc/self/uid_map", "/proc/self/setgroups"}));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_NE(r.out.find("0      65534          1\ndeny\n"), std::string::npos)
      << lacks(r, "0      65534          1\ndeny\n");
  EXPECT_NE(r.out.find("only your own uid and gid: /etc/subuid lends nobody no range"),
            std::string::npos)
      << lacks(r, "only your own uid and gid: /etc/subuid lends nobody no range");
}

TEST(RootlessRootfs, AnUnreadableOneGives125SayingSo) {
  SKIP_UNLESS_HOST_ROOT(kToSwitchUsers);
  const TempDir rootfs; // root's and mode 0700 (mkdtemp): nobody may not look inside
  std::filesystem::create_directory(rootfs.path() + "/tmp");
  const Result r = run(prefixed(as_user(65534, 65534), {"-r", rootfs.path(), "true"}));
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::string expected =
      fmt::format("isolate: rootfs({}/tmp): Permission denied\n", rootfs.path());
  EXPECT_EQ(r.err, expected) << complained(r, expected);
}

// --- /etc files ----------------------------------------------------------------

TEST(EtcFiles, HostnameAndHostsAreTheContainersAndTheRootfsKeepsItsOwn) {
  const std::string rootfs = NSLAB_ISOLATE_ROOTFS;
  const std::string hosts_before = read_file(rootfs + "/etc/hosts");
  const std::string hostname_before = read_file(rootfs + "/etc/hostname");
  const Result r = run(
      isolate_command({"-H", "box", "--net", "loopback", "cat", "/etc/hostname", "/etc/hosts"}));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "box\n"
                   "127.0.0.1\tlocalhost\n"
                   "::1\tlocalhost ip6-localhost ip6-loopback\n"
                   "127.0.1.1\tbox\n")
      << printed(r, "box\n"
                    "127.0.0.1\tlocalhost\n"
                    "::1\tlocalhost ip6-localhost ip6-loopback\n"
                    "127.0.1.1\tbox\n");
  EXPECT_EQ(read_file(rootfs + "/etc/hosts"), hosts_before)
      << why("the rootfs's /etc/hosts changed");
  EXPECT_EQ(read_file(rootfs + "/etc/hostname"), hostname_before)
      << why("the rootfs's /etc/hostname changed");
}

TEST(EtcFiles, HostsNamesTheVethAddress) {
  SKIP_UNLESS_HOST_ROOT("to make a veth pair");
  const Result r =
      run(isolate_command({"-v", "-H", "box", "--net", "veth", "tail", "-n", "1", "/etc/hosts"}));
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  // -v names eth0's address: "... <-> eth0 169.254.X.Y/30 in the container".
  const auto eth0 = r.out.find("<-> eth0 ");
  ASSERT_NE(eth0, std::string::npos) << lacks(r, "<-> eth0 ");
  const std::string address = words(r.out.substr(eth0 + 9)).at(0);
  const std::string bare_address = address.substr(0, address.find('/'));
  EXPECT_NE(r.out.find(fmt::format("\n{}\tbox\n", bare_address)), std::string::npos)
      << lacks(r, fmt::format("\n{}\tbox\n", bare_address));
}

TEST(EtcFiles, AReadOnlyRootfsGetsThemToo) {
  const Result r =
      run(isolate_command({"--read-only", "-H", "ro", "--net", "none", "cat", "/etc/hostname"}));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "ro\n") << printed(r, "ro\n");
}

TEST(EtcFiles, NothingIsLeftInTheContainersTmp) {
  const Result r = run(isolate_command({"ls", "-A", "/tmp"}));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "") << printed(r, "");
}

// --- the pieces --------------------------------------------------------------

TEST(SubordinateRanges, FoundByNameOrNumberAndTheFirstOneWins) {
  const std::string file = "alice:100000:65536\n"
                           "1001:165536:1000\n"
                           "alice:300000:65536\n";
  using isolate::SubordinateRange;
  EXPECT_EQ(isolate::find_subordinate_range(file, "alice", 1000),
            (SubordinateRange{100000, 65536}));
  EXPECT_EQ(isolate::find_subordinate_range(file, "bob", 1001), (SubordinateRange{165536, 1000}));
  EXPECT_EQ(isolate::find_subordinate_range(file, "carol", 1002), std::nullopt);
}

TEST(SubordinateRanges, MalformedLinesAreSkipped) {
  const std::string file = "# comment\n"
                           "\n"
                           "alice:100000\n"
                           "alice:x:65536\n"
                           "alice:100000:0\n"
                           "alice:200000:10\n";
  EXPECT_EQ(isolate::find_subordinate_range(file, "alice", 1000),
            (isolate::SubordinateRange{200000, 10}));
}

TEST(HostsText, NamesTheHostOnItsAddressOrOn127_0_1_1) {
  EXPECT_EQ(isolate::hosts_text("box", std::nullopt),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n");
  EXPECT_NE(isolate::hosts_text("box", "169.254.0.2").find("\n169.254.0.2\tbox\n"),
            std::string::npos);
}

TEST(IdMapText, OneLinePerRange) {
  EXPECT_EQ(isolate::map_text({{0, 1000, 1}, {1, 100000, 65536}}), "0 1000 1\n1 100000 65536\n");
}

} // namespace
