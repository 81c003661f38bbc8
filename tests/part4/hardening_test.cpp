// part4: isolate as a sandbox. Each check performs an attack from inside
// the container, once started by root and once rootless (as nobody when
// the suite runs as root), and asserts from the host that it failed and
// that the host is as it was.
#include "harness.hpp"
#include "private_rootfs.hpp"
#include "text.hpp"
#include "why.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace nslab::testing;
namespace fs = std::filesystem;

/// Everything about one file that an attack could change: type, mode,
/// owner, modification time, and the contents or the link's target.
std::string describe_file(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    return "gone";
  }
  std::string text =
      fmt::format("mode {:o} owner {}:{} size {} mtime {}.{}", info.st_mode, info.st_uid,
                  info.st_gid, info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
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
  /// Like isolate(), with \p assignment added to isolate's own environment:
  /// something of the host's that must not reach the container.
  [[nodiscard]] Result isolate_with_host_variable(const std::string& assignment,
                                                  Words words) const {
    words.insert(words.begin(), {"env", assignment, program("isolate"), "-r", rootfs_.path()});
    Command command{words};
    command.root_in_user_namespace = false;
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
    EXPECT_EQ(snapshot(rootfs_.path()), before_) << why("the host's rootfs directory changed");
  }
};

INSTANTIATE_TEST_SUITE_P(RootAndRootless, Hardening, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "rootless" : "root";
                         });

// --- the root filesystem -----------------------------------------------------

TEST_P(Hardening, WriteInEtcSucceedsAndIsGoneInTheNextRun) {
  const Result write = isolate_sh({}, "echo planted > /etc/planted && cat /etc/planted");
  EXPECT_EQ(write.code(), 0) << exited(write, 0);
  EXPECT_EQ(write.out, "planted\n") << printed(write, "planted\n");
  const Result next = isolate({"cat", "/etc/planted"});
  EXPECT_NE(next.code(), 0) << after(next, "the write outlived its container");
  expect_rootfs_unchanged();
}

TEST_P(Hardening, ReadOnlyMakesWritesFailWithErofs) {
  const Result r = isolate_sh({"--read-only"}, "echo planted > /etc/planted");
  EXPECT_NE(r.code(), 0) << after(r, "the write into /etc succeeded under --read-only");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos)
      << did_not_say(r, "Read-only file system");
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
    EXPECT_EQ(r.code(), 0) << exited(r, 0);
    expect_rootfs_unchanged();
    EXPECT_FALSE(fs::exists(rootfs_.path() + "/suid"))
        << after(r, "the attack left a file in the rootfs");
  }
}

TEST_P(Hardening, RootfsIsNosuidAndNodevInside) {
  for (Words words : {Words{}, Words{"--read-only"}}) {
    const bool read_only = !words.empty();
    words.insert(words.end(), {"cat", "/proc/self/mountinfo"});
    const Result r = isolate(words);
    ASSERT_EQ(r.code(), 0) << exited(r, 0);
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
    EXPECT_NE(root_options.find("nosuid"), std::string::npos)
        << after(r, "the container's / is mounted " + in_quotes(root_options) + ", without nosuid");
    EXPECT_NE(root_options.find("nodev"), std::string::npos)
        << after(r, "the container's / is mounted " + in_quotes(root_options) + ", without nodev");
    EXPECT_EQ(root_options.starts_with("ro,"), read_only)
        << after(r, "the container's / is mounted " + in_quotes(root_options) +
                        (read_only ? ", not read-only under --read-only" : ", read-only"));
  }
}

// --- global sysctls: /proc/sys read-only ------------------------------------

/// Restores a host file an attack may have changed, on every way out of the
/// test, and says whether it had to.
class Restore {
public:
  explicit Restore(std::string path) : path_(std::move(path)), saved_(read_file(path_)) {}
  Restore(const Restore&) = delete;
  Restore& operator=(const Restore&) = delete;
  ~Restore() {
    if (changed()) {
      std::ofstream(path_) << saved_;
    }
  }
  [[nodiscard]] bool changed() const { return read_file(path_) != saved_; }

private:
  std::string path_;
  std::string saved_;
};

// Issue: core_pattern set to a pipe runs the payload as host root on the
// next crash; vm.swappiness and drop_caches reach the whole machine.
TEST_P(Hardening, GlobalSysctlsCannotBeWritten) {
  const Restore core_pattern("/proc/sys/kernel/core_pattern");
  const Restore swappiness("/proc/sys/vm/swappiness");
  const Result r = isolate_sh({}, "echo '|/payload' > /proc/sys/kernel/core_pattern; "
                                  "echo 13 > /proc/sys/vm/swappiness; "
                                  "echo 3 > /proc/sys/vm/drop_caches; true");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_FALSE(core_pattern.changed()) << after(r, "core_pattern was written from inside");
  EXPECT_FALSE(swappiness.changed()) << after(r, "vm.swappiness was written from inside");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos)
      << did_not_say(r, "Read-only file system");
}

TEST_P(Hardening, KernelKnobsAreMountedReadOnly) {
  const Result r = isolate({"cat", "/proc/self/mountinfo"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  std::map<std::string, std::string> options; // mount point -> its options
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, source, mount_point, mount_options;
    fields >> id >> parent >> device >> source >> mount_point >> mount_options;
    options[mount_point] = mount_options;
  }
  for (const char* path :
       {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/sys"}) {
    if (fs::exists(path)) { // as on the host: the container's kernel is the host's
      ASSERT_TRUE(options.contains(path))
          << after(r, std::string(path) + " is no mount of its own");
      EXPECT_TRUE(options[path].starts_with("ro,")) << after(
          r, fmt::format("{} is mounted {}, not read-only", path, in_quotes(options[path])));
    }
  }
}

TEST_P(Hardening, MaskedPathsReadEmpty) {
  std::string script;
  for (const char* file : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"}) {
    if (fs::exists(file)) {
      script += fmt::format("echo {} $(cat {} | wc -c); ", file, file);
    }
  }
  for (const char* directory : {"/proc/acpi", "/proc/scsi", "/sys/firmware"}) {
    if (fs::exists(directory)) {
      script += fmt::format("echo {} $(ls -A {} | wc -l); ", directory, directory);
    }
  }
  ASSERT_FALSE(script.empty()) << why("none of the masked paths exists on this host");
  const Result r = isolate_sh({}, script);
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  std::istringstream lines(r.out);
  int checked = 0;
  for (std::string path, size; lines >> path >> size; ++checked) {
    EXPECT_EQ(size, "0") << after(r, std::string(path) + " shows something inside");
  }
  EXPECT_GT(checked, 0) << after(r, "no masked path was checked");
}

// --- cgroups -------------------------------------------------------------------

/// Every directory named \p name under /sys/fs/cgroup.
std::vector<fs::path> cgroups_named(const std::string& name) {
  std::vector<fs::path> found;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(
           "/sys/fs/cgroup", fs::directory_options::skip_permission_denied, error);
       it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it->path().filename() == name) {
      found.push_back(it->path());
    }
  }
  return found;
}

// Issue: a cgroup v2 mounted inside, a new cgroup in it; a v1 hierarchy
// mounted to raise a limit.
TEST_P(Hardening, NoCgroupHierarchyCanBeMountedInside) {
  const std::string name = unique_name("nslab-attack");
  const Result r =
      isolate_sh({}, fmt::format("mount -t cgroup2 none /mnt && mkdir /mnt/{0}; "
                                 "mount -t cgroup -o memory none /tmp && mkdir /tmp/{0}; true",
                                 name));
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  const std::vector<fs::path> made = cgroups_named(name);
  for (const fs::path& cgroup : made) {
    ::rmdir(cgroup.c_str());
  }
  EXPECT_TRUE(made.empty()) << after(r, "the container made a cgroup on the host");
  EXPECT_NE(r.err.find("mount: permission denied"), std::string::npos)
      << did_not_say(r, "mount: permission denied");
}

// --- capabilities ------------------------------------------------------------

/// The Cap* lines of /proc/self/status inside, as NAME -> hex mask.
std::map<std::string, std::string> capability_lines(const Result& r) {
  std::map<std::string, std::string> sets;
  std::istringstream lines(r.out);
  for (std::string name, mask; lines >> name >> mask;) {
    if (name.starts_with("Cap")) {
      sets[name] = mask;
    }
  }
  return sets;
}

/// Docker's default 14, as /proc/PID/status prints it.
constexpr const char* kDockerDefault = "00000000a80425fb";

TEST_P(Hardening, CapabilitiesAreDockersDefault) {
  const Result r = isolate({"grep", "^Cap", "/proc/self/status"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const auto sets = capability_lines(r);
  for (const char* set : {"CapEff:", "CapPrm:", "CapBnd:"}) {
    EXPECT_EQ(sets.at(set), kDockerDefault)
        << after(r, fmt::format("{} is {}, expected Docker's default {}", set, sets.at(set),
                                kDockerDefault));
  }
  for (const char* set : {"CapInh:", "CapAmb:"}) {
    EXPECT_EQ(sets.at(set), "0000000000000000")
        << after(r, fmt::format("{} is {}, expected none", set, sets.at(set)));
  }
}

TEST_P(Hardening, CapAddAndCapDropWorkAsInDocker) {
  const Result only = isolate({"--cap-drop", "ALL", "--cap-add", "net_admin", "--cap-add",
                               "CAP_KILL", "grep", "^Cap", "/proc/self/status"});
  ASSERT_EQ(only.code(), 0) << exited(only, 0);
  EXPECT_EQ(capability_lines(only).at("CapBnd:"), "0000000000001020")
      << after(only, "the bounding set is not NET_ADMIN and KILL alone (0000000000001020)");
  const Result fewer = isolate({"--cap-drop", "chown", "grep", "^Cap", "/proc/self/status"});
  ASSERT_EQ(fewer.code(), 0) << exited(fewer, 0);
  EXPECT_EQ(capability_lines(fewer).at("CapEff:"), "00000000a80425fa")
      << after(fewer, "the effective set is not Docker's default without CHOWN (00000000a80425fa)");
  // --cap-add ALL: every capability this kernel has (a new user namespace
  // starts with all of them, whatever the invoker's bounding set).
  const int last = std::stoi(read_file("/proc/sys/kernel/cap_last_cap"));
  const std::string every = fmt::format("{:016x}", (std::uint64_t{1} << (last + 1)) - 1);
  const Result all =
      isolate({"--cap-add", "ALL", "--cap-drop", "sys_admin", "grep", "^Cap", "/proc/self/status"});
  ASSERT_EQ(all.code(), 0) << exited(all, 0);
  EXPECT_EQ(capability_lines(all).at("CapEff:"),
            fmt::format("{:016x}", std::stoull(every, nullptr, 16) & ~(std::uint64_t{1} << 21)))
      << after(all, "all but CAP_SYS_ADMIN (21)");
}

TEST_P(Hardening, UnknownCapabilityOrProfileGives125WithOneLine) {
  for (const Words& words :
       {Words{"--cap-add", "NET_FLY", "true"}, Words{"--seccomp", "strict", "true"}}) {
    const Result r = isolate(words);
    EXPECT_EQ(r.code(), 125) << exited(r, 125);
    // The first line names the option as typed; the usage contract follows.
    EXPECT_TRUE(r.err.starts_with("isolate: " + words[0] + ": unknown"))
        << complained(r, "isolate: " + words[0] + ": unknown ...");
  }
}

// --- seccomp -----------------------------------------------------------------

/// The probe's "NAME RESULT" lines.
std::map<std::string, std::string> syscall_results(const Result& r) {
  std::map<std::string, std::string> results;
  std::istringstream lines(r.out);
  for (std::string name, result; lines >> name >> result;) {
    results[name] = result;
  }
  return results;
}

TEST_P(Hardening, SeccompFilterIsOnAndDeniesEachCallWithEperm) {
  const Result status = isolate({"grep", "^Seccomp:", "/proc/self/status"});
  EXPECT_EQ(status.out, "Seccomp:\t2\n") << printed(status, "Seccomp:\t2\n");
  const Result r = isolate({"nslab-probe", "syscalls"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const auto results = syscall_results(r);
  EXPECT_EQ(results.size(), 23u) << after(r, "the probe did not report on all 23 calls");
  for (const auto& [call, result] : results) {
    EXPECT_EQ(result, "EPERM") << after(r, std::string(call) + " got past the filter");
  }
}

// Without the filter the same calls fail otherwise, or work: so the EPERM
// above is the filter's, not a missing capability's.
TEST_P(Hardening, SeccompUnconfinedLetsTheCallsThrough) {
  const Result status = isolate({"--seccomp=unconfined", "grep", "^Seccomp:", "/proc/self/status"});
  EXPECT_EQ(status.out, "Seccomp:\t0\n") << printed(status, "Seccomp:\t0\n");
  const Result r = isolate({"--seccomp", "unconfined", "nslab-probe", "syscalls"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const auto results = syscall_results(r);
  for (const char* call : {"keyctl", "add_key", "request_key", "settimeofday", "clock_settime",
                           "ioctl(TIOCSTI)", "ioctl(TIOCLINUX)", "unshare"}) {
    EXPECT_NE(results.at(call), "EPERM")
        << after(r, std::string(call) + " was refused; unconfined it must get through");
  }
}

// A rule names a call by its x86_64 number; the i386 and x32 ABIs number
// the same calls differently, so a filter for x86_64 alone could be walked
// around through them. Any call through them kills the process (SIGSYS).
TEST_P(Hardening, SeccompKillsACallThroughAnotherAbi) {
  for (const char* abi : {"x32", "i386"}) {
    const Result killed = isolate({"nslab-probe", "foreign-abi", abi});
    EXPECT_EQ(killed.code(), 128 + SIGSYS)
        << after(killed, std::string(abi) + " got past the filter");
    EXPECT_EQ(killed.out, "") << printed(killed, "");
    // Unconfined, the same probe answers (ENOSYS where the kernel lacks the
    // ABI): so the kill above is the filter's.
    const Result answered = isolate({"--seccomp=unconfined", "nslab-probe", "foreign-abi", abi});
    EXPECT_EQ(answered.code(), 0) << exited(answered, 0);
    EXPECT_TRUE(answered.out.starts_with(std::string(abi) + " "))
        << printed(answered, std::string(abi) + " ...");
  }
}

// --- the session keyring -------------------------------------------------------

/// A key in a new session keyring of the test process, which isolate
/// inherits: possessed, so readable, unless the container leaves the session.
class HostKey {
public:
  HostKey() {
    ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr);
    serial_ = ::syscall(SYS_add_key, "user", unique_name("nslab-key").c_str(), kSecret,
                        sizeof kSecret - 1, KEY_SPEC_SESSION_KEYRING);
  }
  HostKey(const HostKey&) = delete;
  HostKey& operator=(const HostKey&) = delete;
  ~HostKey() { ::syscall(SYS_keyctl, KEYCTL_INVALIDATE, serial_); }
  [[nodiscard]] long serial() const { return serial_; }
  static constexpr char kSecret[] = "nslab-host-secret";

private:
  long serial_ = -1;
};

// Issue: the host's session keyring was readable inside.
TEST_P(Hardening, HostSessionKeyIsUnreachable) {
  const HostKey key;
  ASSERT_GE(key.serial(), 0) << "add_key: " << std::strerror(errno);
  // Unconfined too: the new session keyring must hold on its own, without
  // the filter's ban on keyctl(2).
  for (const Words& options : {Words{}, Words{"--seccomp=unconfined"}}) {
    Words words = options;
    words.insert(words.end(), {"nslab-probe", "key-read", std::to_string(key.serial())});
    const Result r = isolate(words);
    EXPECT_EQ(r.out.find(HostKey::kSecret), std::string::npos)
        << must_not_print(r, HostKey::kSecret);
    EXPECT_EQ(r.code(), 1) << exited(r, 1);
  }
}

// --- PID 1 with --init -------------------------------------------------------

// Issue: with --init, /proc/1/environ showed the invoker's environment and
// PID 1 could be traced.
TEST_P(Hardening, InitShowsNothingOfIsolateAndCannotBeTraced) {
  const std::string secret = "NSLAB_HOST_SECRET=" + unique_name("secret");
  const Result r = isolate_with_host_variable(
      secret, {"--init", "sh", "-c",
               "cat /proc/1/environ; tr '\\0' ' ' < /proc/1/cmdline; echo; nslab-probe ptrace 1"});
  EXPECT_EQ(r.out.find(secret), std::string::npos) << after(r, "the host's environment leaked");
  EXPECT_NE(r.err.find("'/proc/1/environ': Permission denied"), std::string::npos)
      << did_not_say(r, "'/proc/1/environ': Permission denied");
  std::istringstream lines(r.out);
  std::string cmdline, traced;
  std::getline(lines, cmdline);
  std::getline(lines, traced);
  EXPECT_TRUE(cmdline.starts_with("sh -c cat /proc/1/environ;"))
      << after(r, "PID 1's command line is " + in_quotes(cmdline) + ", expected the command's own");
  EXPECT_EQ(cmdline.find("isolate"), std::string::npos)
      << after(r, "PID 1's command line shows isolate's: " + in_quotes(cmdline));
  EXPECT_EQ(cmdline.find("--init"), std::string::npos)
      << after(r, "PID 1's command line shows isolate's options: " + in_quotes(cmdline));
  EXPECT_EQ(traced, "EPERM") << after(r, "PID 1 could be traced");
}

} // namespace
