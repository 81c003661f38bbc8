// part4: isolate, checked from outside the container.
//
// isolate makes its own user namespace, so every run here is started as the
// test's own user (root_in_user_namespace = false), also as `nobody`.
#include "harness.hpp"
#include "isolate_helpers.hpp"
#include "link_monitor.hpp"
#include "netlink.hpp"
#include "nslab/error.hpp"
#include "nslab/hostname.hpp"
#include "nslab/namespaces.hpp"
#include "nslab/unique_fd.hpp"
#include "why.hpp"

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/core.h>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <regex>
#include <set>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace nslab::testing;
using namespace isolate_test;
using namespace std::chrono_literals;
using Names = std::set<std::string>;

Result isolate(Words arguments) { return run(isolate_command(std::move(arguments))); }

/// Polls \p condition every 20 ms until it holds or \p timeout passes. Only
/// for what announces itself to no one the test could wait on: an orphan
/// reaped inside the container, IPC objects of other suites.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

/// Starts `isolate OPTIONS cat` with "ready" on its stdin, which stays
/// open, and waits for cat to echo it. The line comes from cat itself, after
/// the exec, so a signal sent then meets cat, which handles none: not the
/// setup, nor a shell (busybox sh catches SIGINT).
Running start_idle_cat(Words options) {
  options.emplace_back("cat");
  Command command = isolate_command(std::move(options));
  command.input = "ready\n";
  command.close_stdin = false;
  Running running = start(command);
  EXPECT_TRUE(running.wait_for_output("ready\n")) << has_not_printed(running, "ready\n");
  return running;
}

/// The mount points listed in a mountinfo file's text (its fifth field).
Names mount_points(const std::string& mountinfo) {
  Names points;
  for (const std::string& line : lines(mountinfo)) {
    const Words fields = words(line);
    if (fields.size() > 4) {
      points.insert(fields[4]);
    }
  }
  return points;
}

Names directory_entries(const std::string& path) {
  Names entries;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    entries.insert(entry.path().filename().string());
  }
  return entries;
}

/// The System V IPC objects of our IPC namespace: "kind key id" each.
Names sysv_objects() {
  Names objects;
  for (const char* kind : {"msg", "sem", "shm"}) {
    const Words rows = lines(read_file(fmt::format("/proc/sysvipc/{}", kind)));
    for (std::size_t row = 1; row < rows.size(); ++row) {
      const Words fields = words(rows[row]);
      objects.insert(fmt::format("{} {} {}", kind, fields.at(0), fields.at(1)));
    }
  }
  return objects;
}

/// What is in \p after but not in \p before.
Names added(const Names& before, const Names& after) {
  Names extra;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::inserter(extra, extra.end()));
  return extra;
}

/// A System V message queue in the test's (the host's) IPC namespace.
class HostQueue {
public:
  HostQueue() {
    for (key_t key = 0x6e730000 + (::getpid() & 0xffff); id_ < 0; ++key) {
      id_ = ::msgget(key, IPC_CREAT | IPC_EXCL | 0600);
      key_ = key;
      if (id_ < 0 && errno != EEXIST) {
        throw nslab::Error(errno, "msgget");
      }
    }
  }
  HostQueue(const HostQueue&) = delete;
  HostQueue& operator=(const HostQueue&) = delete;
  ~HostQueue() { ::msgctl(id_, IPC_RMID, nullptr); }
  [[nodiscard]] key_t key() const noexcept { return key_; }

private:
  int id_ = -1;
  key_t key_ = 0;
};

class Isolate : public ::testing::Test {
protected:
  // Every test must leave the host's hostname and process list as it found them.
  void TearDown() override {
    EXPECT_EQ(nslab::current_hostname(), host_hostname_)
        << why("the host's hostname changed: sethostname ran outside the container's UTS "
               "namespace");
    EXPECT_TRUE(leftover_processes().empty()) << why("a process was left behind");
  }
  const std::string host_hostname_ = nslab::current_hostname();
};

// --- PID namespace -----------------------------------------------------------

TEST_F(Isolate, CommandIsPidOne) {
  const Result r = isolate({"sh", "-c", "echo $$"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "1\n") << printed(r, "1\n");
}

TEST_F(Isolate, PsShowsOnlyTheContainer) {
  const Result r = isolate({"sh", "-c", "ps -o pid,comm; true"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const Words rows = lines(r.out);
  const std::string expected = "a header, then 1 sh, then ps: the container's processes alone";
  ASSERT_EQ(rows.size(), 3u) << printed(r, expected);
  EXPECT_EQ(words(rows[1]), (Words{"1", "sh"})) << printed(r, expected);
  EXPECT_EQ(words(rows[2]).at(1), "ps") << printed(r, expected);
}

// --- UTS namespace -----------------------------------------------------------

TEST_F(Isolate, DefaultHostnameIsIsolate) {
  const Result r = isolate({"hostname"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "isolate\n") << printed(r, "isolate\n");
}

TEST_F(Isolate, HostnameOptionSetsTheContainersOnly) {
  const Result r = isolate({"-H", "nslab-box", "hostname"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "nslab-box\n") << printed(r, "nslab-box\n");
}

// --- user namespace and the other kinds, seen from the host ------------------

TEST_F(Isolate, RootInsideMapsToTheInvoker) {
  Running running = start_isolate({"--init"}, "id -u; id -g; echo ready; exec sleep 100");
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  // The command, not --init's PID 1: PID 1 is not dumpable, so a rootless
  // invoker may not look at its /proc/PID/ns links.
  const std::vector<pid_t> commands = children_of(container_pid(running.pid()));
  ASSERT_EQ(commands.size(), 1U) << has_not_printed(running, "one command under --init");
  const pid_t container = commands.front();
  // The first line maps root to the invoker: as root with the 65535 ids
  // after it, rootless alone (a subordinate range may follow).
  const std::string count = runs_in_user_namespace() ? "1" : "65536";
  const auto first_line = [&](const char* map) {
    const Words all = words(read_file(fmt::format("/proc/{}/{}", container, map)));
    return Words(all.begin(), all.begin() + std::min<std::ptrdiff_t>(3, std::ssize(all)));
  };
  for (const auto& [map, id] :
       {std::pair{"uid_map", ::getuid()}, std::pair{"gid_map", ::getgid()}}) {
    const Words expected = {"0", std::to_string(id), count};
    EXPECT_EQ(first_line(map), expected)
        << why(fmt::format("the container's {} starts {}, expected \"{}\": root inside must be "
                           "the invoker",
                           map, fmt::join(first_line(map), " "), fmt::join(expected, " ")));
  }
  for (const char* kind : {"user", "mnt", "pid", "uts", "ipc", "net", "cgroup"}) {
    EXPECT_NE(nslab::namespace_id(container, nslab::namespace_kind(kind)),
              nslab::namespace_id(::getpid(), nslab::namespace_kind(kind)))
        << why(fmt::format("the container shares the host's {} namespace", kind));
  }
  running.send_signal(SIGTERM);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 143) << exited(r, 143);
  EXPECT_EQ(r.out, "0\n0\nready\n") << printed(r, "0\n0\nready\n");
}

TEST_F(Isolate, OnlyRootMayMapOtherIds) {
  const Result r = isolate({"-u", "4242:4343", "cat", "/proc/self/uid_map", "/proc/self/gid_map"});
  if (runs_in_user_namespace()) { // unprivileged: the kernel must refuse
    EXPECT_EQ(r.code(), 125) << exited(r, 125);
    EXPECT_NE(r.err.find("only root may map ids other than its own"), std::string::npos)
        << did_not_say(r, "only root may map ids other than its own");
    EXPECT_EQ(lines(r.err).size(), 1u) << complained(r, "one line");
  } else {
    EXPECT_EQ(r.code(), 0) << exited(r, 0);
    EXPECT_EQ(words(r.out), (Words{"0", "4242", "1", "0", "4343", "1"}))
        << printed(r, "0 4242 1\n0 4343 1");
  }
}

// --- mount namespace ---------------------------------------------------------

TEST_F(Isolate, MountTableInsideHasNoHostMountPoints) {
  const Result r = isolate({"cat", "/proc/self/mountinfo"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  Names expected = {"/",         "/proc",       "/dev",         "/dev/null",     "/dev/zero",
                    "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",      "/dev/pts",
                    "/dev/shm",  "/sys",        "/tmp",         "/etc/hostname", "/etc/hosts"};
  // The read-only and masked kernel files (see hardening_test.cpp), each a
  // mount of its own where this kernel has it.
  for (const char* path : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
                           "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                           "/proc/acpi", "/proc/scsi", "/sys/firmware"}) {
    if (std::filesystem::exists(path)) {
      expected.insert(path);
    }
  }
  EXPECT_EQ(mount_points(r.out), expected)
      << why(r, fmt::format("shows the mount points {}, expected {}: after pivot_root and "
                            "detaching the old root, no mount of the host may be left",
                            fmt::join(mount_points(r.out), " "), fmt::join(expected, " ")));
}

// The new /proc must not let anything inside run a program from it, or use
// a set-uid bit or a device node on it: part4.mount-proc's three flags.
TEST_F(Isolate, ProcIsMountedNosuidNodevNoexec) {
  const Result r = isolate({"cat", "/proc/self/mountinfo"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  std::string options;
  for (const std::string& line : lines(r.out)) {
    if (const Words fields = words(line); fields.size() > 5 && fields[4] == "/proc") {
      options = "," + fields[5] + ",";
    }
  }
  ASSERT_FALSE(options.empty()) << why(r, "shows no mount on /proc");
  for (const char* flag : {"nosuid", "nodev", "noexec"}) {
    EXPECT_NE(options.find(fmt::format(",{},", flag)), std::string::npos)
        << why(r, fmt::format("shows /proc mounted with {}, without {}",
                              options.substr(1, options.size() - 2), flag));
  }
}

/// The propagation tags (`shared:N`, `master:N`, ...) of each mount in a
/// mountinfo file's text: the optional fields between the sixth and the `-`.
Words propagation_tags(const std::string& mountinfo) {
  Words tags;
  for (const std::string& line : lines(mountinfo)) {
    const Words fields = words(line);
    for (std::size_t i = 6; i < fields.size() && fields[i] != "-"; ++i) {
      tags.push_back(fields[4] + " " + fields[i]);
    }
  }
  return tags;
}

TEST_F(Isolate, MountsInsideAreTiedToNoPeerGroup) {
  // Run once as is, and once from a mount namespace whose mounts are all
  // shared, as systemd leaves a host's: there the copies isolate's new
  // namespace starts with are slaves of them, unless made private.
  Command shared_host({"unshare", "-m", "--propagation", "shared", program("isolate"), "--net",
                       "none", "cat", "/proc/self/mountinfo"});
  for (const Result& r :
       {isolate({"--net", "none", "cat", "/proc/self/mountinfo"}), run(shared_host)}) {
    ASSERT_EQ(r.code(), 0) << exited(r, 0);
    EXPECT_EQ(propagation_tags(r.out), Words{})
        << why(r, fmt::format("shows mounts tied to a peer group ({}): make every mount private "
                              "first",
                              fmt::join(propagation_tags(r.out), " ")));
  }
}

TEST_F(Isolate, HostMountTableIsIdenticalBeforeDuringAndAfter) {
  const std::string before = read_file("/proc/self/mountinfo");
  Running running = start_idle_cat({"--init"});
  EXPECT_EQ(read_file("/proc/self/mountinfo"), before) << why("while the container runs");
  running.send_signal(SIGTERM);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 143) << exited(r, 143);
  EXPECT_EQ(read_file("/proc/self/mountinfo"), before) << why("after the container exited");
}

TEST_F(Isolate, HostTmpIsInvisible) {
  const TempDir host_dir; // under the host's /tmp
  const std::string marker = host_dir.path() + "/marker";
  std::ofstream(marker) << "host\n";
  const std::string script = fmt::format("ls -A /tmp; test -e {} && echo visible; true", marker);
  const Result r = isolate({"sh", "-c", script});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "") << why(r, fmt::format("printed {}: the container's /tmp should be empty "
                                             "and the host's invisible",
                                             in_quotes(r.out)));
}

TEST_F(Isolate, NoOldRootDirectoryIsLeft) {
  const Names rootfs_before = directory_entries(NSLAB_ISOLATE_ROOTFS);
  const Result r = isolate({"ls", "-A", "/"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const Words listed = words(r.out);
  EXPECT_EQ(Names(listed.begin(), listed.end()), rootfs_before)
      << why(r, fmt::format("lists {} in /, expected the rootfs's {}", fmt::join(listed, " "),
                            fmt::join(rootfs_before, " ")));
  EXPECT_EQ(directory_entries(NSLAB_ISOLATE_ROOTFS), rootfs_before)
      << why(r, "left a new entry in the rootfs (an old-root directory?)");
}

TEST_F(Isolate, RootfsOptionAndEnvironmentChooseTheRoot) {
  const TempDir dir;
  const std::string link = dir.path() + "/rootfs";
  std::filesystem::create_directory_symlink(NSLAB_ISOLATE_ROOTFS, link);
  ASSERT_EQ(::setenv("ISOLATE_ROOTFS", "/nslab-no-such-rootfs", 1), 0);
  const Result from_env = isolate({"true"});
  const Result from_option = isolate({"-r", link, "true"});
  ::unsetenv("ISOLATE_ROOTFS");
  EXPECT_EQ(from_env.code(), 125) << exited(from_env, 125);
  EXPECT_EQ(from_env.err, "isolate: rootfs(/nslab-no-such-rootfs): No such file or directory\n")
      << complained(from_env, "isolate: rootfs(/nslab-no-such-rootfs): No such file or directory");
  EXPECT_EQ(from_option.code(), 0)
      << why(from_option, "did not run: -r must win over $ISOLATE_ROOTFS");
}

// --- what COMMAND inherits ---------------------------------------------------

TEST_F(Isolate, CommandGetsOnlyStdioAndNoNewPrivs) {
  // A descriptor without O_CLOEXEC, which isolate inherits from us.
  const nslab::UniqueFd inherited(::open("/dev/null", O_RDONLY));
  ASSERT_TRUE(inherited.valid());
  const Result r = isolate({"sh", "-c", "ls /proc/self/fd; grep NoNewPrivs /proc/self/status"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  // 3 is the directory ls is reading.
  EXPECT_EQ(words(r.out), (Words{"0", "1", "2", "3", "NoNewPrivs:", "1"}))
      << printed(r, "0 1 2 3 (stdio and ls's own) and NoNewPrivs: 1");
}

TEST_F(Isolate, EnvironmentIsCleanPlusOptions) {
  const char* host_term = std::getenv("TERM");
  const std::string saved_term = host_term ? host_term : "";
  ASSERT_EQ(::setenv("NSLAB_HOST_SECRET", "leaked", 1), 0);
  ASSERT_EQ(::setenv("TERM", "nslab-term", 1), 0);
  const Result r = isolate({"-e", "GREETING=hello", "-e", "HOME=/tmp", "env"});
  ::unsetenv("NSLAB_HOST_SECRET");
  host_term ? ::setenv("TERM", saved_term.c_str(), 1) : ::unsetenv("TERM");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  const Words listed = words(r.out);
  EXPECT_EQ(Names(listed.begin(), listed.end()),
            (Names{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp",
                   "HOSTNAME=isolate", "TERM=nslab-term", "GREETING=hello"}))
      << printed(r, "PATH, HOME=/tmp, HOSTNAME=isolate, TERM and GREETING=hello, nothing else");
}

TEST_F(Isolate, DeviceNodesWork) {
  const Result r = isolate({"sh", "-c",
                            "head -c 3 /dev/zero | od -An -tx1; head -c 8 /dev/urandom | wc -c; "
                            "echo gone > /dev/null && echo null-ok; readlink /dev/fd"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(words(r.out), (Words{"00", "00", "00", "8", "null-ok", "/proc/self/fd"}))
      << printed(r, "00 00 00\n8\nnull-ok\n/proc/self/fd");
}

// --- network namespace -------------------------------------------------------

TEST_F(Isolate, OnlyLoopbackExistsAndItIsUp) {
  const Result r = isolate({"--net", "loopback", "sh", "-c", "ls /sys/class/net; ip -o link"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const Words rows = lines(r.out);
  ASSERT_EQ(rows.size(), 2u) << printed(r, "lo, then its link line");
  EXPECT_EQ(rows[0], "lo") << printed(r, "lo alone in /sys/class/net");
  EXPECT_NE(rows[1].find("<LOOPBACK,UP,LOWER_UP>"), std::string::npos)
      << lacks(r, "<LOOPBACK,UP,LOWER_UP>");
}

TEST_F(Isolate, NetNoneLeavesLoopbackDown) {
  const Result r = isolate({"--net", "none", "ip", "-o", "link"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_NE(r.out.find("1: lo: <LOOPBACK>"), std::string::npos) << lacks(r, "1: lo: <LOOPBACK>");
}

// --- network: the veth pair ---------------------------------------------------
//
// A veth pair needs root over the host's network namespace. These checks
// look at the host's links and addresses with `ip`, and send traffic only
// across the pair isolate made, between its two link-local ends.

/// True when this test process may create links in the host's network
/// namespace, found by asking the kernel to change nothing on `lo`.
bool can_administer_host_links() {
  static const bool allowed = nslab::net::RouteSocket().can_administer_links();
  return allowed;
}

#define SKIP_WITHOUT_HOST_ROOT()                                                                   \
  if (!can_administer_host_links())                                                                \
  GTEST_SKIP() << "needs root in the host's network namespace (CAP_NET_ADMIN) to make a veth pair"

/// Runs a host tool (ip, ping, nc) as the test process itself.
Result host_tool(Words argv) {
  Command command{std::move(argv)};
  command.root_in_user_namespace = false;
  return run(command);
}

bool host_has_link(const std::string& name) {
  return std::filesystem::exists("/sys/class/net/" + name);
}

/// The host end isolate makes for a container whose PID 1 the host sees as
/// \p container. Tests run in parallel and every root run makes a pair, so
/// each test follows only the links of its own containers, by name.
std::string host_link_of(pid_t container) { return fmt::format("nsl{}", container); }

/// The single IPv4 address with prefix on a link, as `ip -o -4 addr` shows it.
std::string ipv4_of(const std::string& output) {
  const Words fields = words(output);
  const auto inet = std::find(fields.begin(), fields.end(), "inet");
  return inet != fields.end() && inet + 1 != fields.end() ? *(inet + 1) : "";
}

std::string address_only(const std::string& with_prefix) {
  return with_prefix.substr(0, with_prefix.find('/'));
}

/// The network address of the /30 that holds \p address: `169.254.7.4`.
std::string subnet_of(const std::string& address) {
  const auto dot = address.rfind('.') + 1;
  return address.substr(0, dot) + std::to_string(std::stoi(address.substr(dot)) / 4 * 4);
}

/// A route line of a veth host end (see host_routing_state()).
const std::regex kOtherInstancesLink(" dev (nsl|if)[0-9]+( |$)");

/// The host's routes and forwarding switch, which isolate must not touch.
/// Routes of veth host ends are left out: parallel tests come and go with
/// theirs, and each test checks its own link by name.
std::string host_routing_state() {
  std::string state;
  for (const std::string& table : {host_tool({"ip", "route", "show", "table", "all"}).out,
                                   host_tool({"ip", "-6", "route", "show", "table", "all"}).out}) {
    for (const std::string& line : lines(table)) {
      // Other instances' pairs come and go while this runs (ctest -j): their
      // routes name the host end, or "ifN" when ip(8) dumped a route whose
      // link was deleted before it could look the name up.
      if (!std::regex_search(line, kOtherInstancesLink)) {
        state += line + "\n";
      }
    }
  }
  return state + read_file("/proc/sys/net/ipv4/ip_forward");
}

/// isolate --net veth running `sh -c SCRIPT`, with stdin held open so that
/// SCRIPT can wait on `read` until the test closes it.
Running start_veth_container(const std::string& script, Words options = {}) {
  Words argv = {"--net", "veth"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"sh", "-c", script});
  Command command = isolate_command(std::move(argv));
  command.close_stdin = false;
  return start(command);
}

TEST_F(Isolate, VethPairJoinsHostAndContainerAndOnlyThem) {
  SKIP_WITHOUT_HOST_ROOT();
  const std::string routing_before = host_routing_state();
  Running running = start_veth_container(
      "ip -o -4 addr show dev eth0; ip -o link show lo; echo routes:; ip route; "
      "echo served | nc -l -p 7777 & "
      "while ! netstat -ltn | grep -q ':7777 '; do usleep 1000; done; echo ready; read x; exit 0");
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const std::string inside = running.out_so_far();
  const pid_t container = container_pid(running.pid());
  const std::string host_link = host_link_of(container);
  ASSERT_TRUE(host_has_link(host_link))
      << why(fmt::format("the veth host end {} is not on the host", host_link));

  const std::string host_end =
      ipv4_of(host_tool({"ip", "-o", "-4", "addr", "show", "dev", host_link}).out);
  const std::string container_end = ipv4_of(inside);
  ASSERT_EQ(host_end.rfind("169.254.", 0), 0u)
      << why(fmt::format("the host end's address {} is not link-local (169.254.0.0/16)", host_end));
  EXPECT_EQ(host_end.substr(host_end.find('/')), "/30")
      << why(fmt::format("the host end's address {} is not a /30", host_end));
  EXPECT_EQ(container_end.substr(container_end.find('/')), "/30")
      << why(fmt::format("the container end's address {} is not a /30", container_end));
  // One /30, the host at .1 and the container at .2 above its network address.
  const std::string subnet = subnet_of(address_only(host_end));
  EXPECT_EQ(subnet_of(address_only(container_end)), subnet) << why(fmt::format(
      "the host end {} and the container end {} are not in one /30", host_end, container_end));
  EXPECT_EQ(address_only(host_end).substr(address_only(host_end).rfind('.') + 1),
            std::to_string(std::stoi(subnet.substr(subnet.rfind('.') + 1)) + 1));
  // Exactly one host link carries this /30: the pair's own end.
  const Words holders =
      lines(host_tool({"ip", "-o", "-4", "addr", "show", "to", subnet + "/30"}).out);
  ASSERT_EQ(holders.size(), 1u) << why(
      fmt::format("{} host links have an address in {}/30, expected the pair's own alone",
                  holders.size(), subnet));
  EXPECT_EQ(words(holders[0]).at(1), host_link)
      << why(fmt::format("the address in {}/30 is on {}, not on the pair's own host end {}", subnet,
                         words(holders[0]).at(1), host_link));
  EXPECT_NE(inside.find("lo: <LOOPBACK,UP,LOWER_UP>"), std::string::npos)
      << why("lo is not up in the container");
  const std::string routes = inside.substr(inside.find("routes:"));
  EXPECT_EQ(routes.find("default"), std::string::npos)
      << why("the container has a default route: it may reach only the host end");

  // Container to host end, in the container's own network namespace.
  const Result ping_out = host_tool({"nsenter", "-t", std::to_string(container), "-n",
                                     "/bin/busybox", "ping", "-c1", "-W2", address_only(host_end)});
  EXPECT_EQ(ping_out.code(), 0) << exited(ping_out, 0);
  // Host to the server inside.
  const Result fetched =
      host_tool({"/bin/busybox", "nc", "-w", "2", address_only(container_end), "7777"});
  EXPECT_EQ(fetched.out, "served\n") << printed(fetched, "served\n");

  LinkMonitor monitor;
  const int index = static_cast<int>(::if_nametoindex(host_link.c_str()));
  running.close_stdin();
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  // The kernel deletes the pair with the container's namespace.
  EXPECT_TRUE(monitor.wait_for_removal(index, 1000ms))
      << why(fmt::format("the veth host end {} outlived the container", host_link));
  EXPECT_EQ(host_routing_state(), routing_before) << why("the host's routes or ip_forward changed");
}

// Issue: a namespace that another process holds open outlives the
// container, and with it the pair, unless isolate deletes it.
TEST_F(Isolate, VethLinkGoesAfterExitEvenWhenAnotherProcessHoldsTheNamespace) {
  SKIP_WITHOUT_HOST_ROOT();
  Running running = start_veth_container("echo ready; read x; exit 0");
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const pid_t container = container_pid(running.pid());
  const std::string host_link = host_link_of(container);
  const int index = static_cast<int>(::if_nametoindex(host_link.c_str()));
  ASSERT_NE(index, 0) << why(fmt::format("the veth host end {} is not on the host", host_link));
  const nslab::UniqueFd holder(
      ::open(fmt::format("/proc/{}/ns/net", container).c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(holder.valid()) << why(
      fmt::format("the test could not open /proc/{}/ns/net: {}", container, std::strerror(errno)));
  LinkMonitor monitor;
  running.close_stdin();
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_TRUE(monitor.wait_for_removal(index, 1000ms)) << why(fmt::format(
      "the veth host end {} outlived its isolate while another process held its namespace",
      host_link));
}

TEST_F(Isolate, VethLinkIsGoneSoonAfterIsolateIsKilled) {
  SKIP_WITHOUT_HOST_ROOT();
  Running running = start_veth_container("echo ready; read x; exit 0");
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const std::string host_link = host_link_of(container_pid(running.pid()));
  LinkMonitor monitor; // before the kill, so that the removal cannot be missed
  const int index = static_cast<int>(::if_nametoindex(host_link.c_str()));
  ASSERT_NE(index, 0) << why(fmt::format("the veth host end {} is not on the host", host_link));
  running.send_signal(SIGKILL);
  const Result killed = running.finish();
  EXPECT_EQ(killed.status, nslab::ExitStatus::killed(SIGKILL)) << exited(killed, 128 + SIGKILL);
  // The kernel deletes the pair with the container's namespace, a few
  // milliseconds after its last process is gone.
  EXPECT_TRUE(monitor.wait_for_removal(index, 5s))
      << why(fmt::format("the veth host end {} outlived a SIGKILLed isolate by 5 s", host_link));
}

TEST_F(Isolate, TwentyInstancesGetTheirOwnLinksAndSubnets) {
  SKIP_WITHOUT_HOST_ROOT();
  std::vector<Running> instances;
  for (int i = 0; i < 20; ++i) {
    instances.push_back(
        start_veth_container("ip -o -4 addr show dev eth0; echo ready; read x; exit 0"));
  }
  Names links;
  Names subnets;
  for (Running& instance : instances) {
    // Twenty starts at once on a busy machine: a generous bound, not a timing.
    ASSERT_TRUE(instance.wait_for_output("ready\n", 30s)) << never_printed(instance, "ready\n");
    links.insert(host_link_of(container_pid(instance.pid())));
    subnets.insert(subnet_of(address_only(ipv4_of(instance.out_so_far()))));
  }
  EXPECT_EQ(links.size(), 20u) << why(fmt::format("20 instances had {} host links", links.size()));
  EXPECT_EQ(subnets.size(), 20u) << why("two instances shared a /30");
  for (const std::string& link : links) {
    EXPECT_TRUE(host_has_link(link)) << why(fmt::format("the veth host end {} is missing", link));
  }
  LinkMonitor monitor;
  std::set<int> indexes;
  for (const std::string& link : links) {
    indexes.insert(static_cast<int>(::if_nametoindex(link.c_str())));
  }
  for (Running& instance : instances) {
    instance.close_stdin();
    const Result r = instance.finish();
    EXPECT_EQ(r.code(), 0) << exited(r, 0);
  }
  EXPECT_TRUE(monitor.wait_for_removal(indexes, 1000ms))
      << why("a veth host end outlived the last of twenty instances by a second");
}

TEST_F(Isolate, SubnetLockIsFreeWhileTheContainerRuns) {
  SKIP_WITHOUT_HOST_ROOT();
  // isolate must drop the lock once the host end has its address, not keep
  // it while it waits; --init's PID 1, which never execs, must not keep it
  // either.
  Running running = start_veth_container("echo ready; read x; exit 0", {"--init"});
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  // Parallel tests' isolates hold it for milliseconds at a time.
  EXPECT_NO_THROW(nslab::net::SubnetLock(2s)) << why("a running container holds the lock");
  running.close_stdin();
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
}

/// An ordinary user's attempts on root's subnet lock, made by a forked
/// child as nobody, which then keeps whatever it got until destroyed: the
/// abstract socket name the lock once was, the lock's directory, flock on
/// its file through a read-only descriptor, and a symlink in the file's
/// place. outcome() has one byte per attempt, 'y' when it worked.
class LockAttacker {
public:
  LockAttacker() {
    // Built before fork: the child may only make async-signal-safe calls.
    const std::string directory(nslab::net::SubnetLock::kDirectory);
    const std::string file = fmt::format("{}/{}", directory, nslab::net::SubnetLock::kFileName);
    constexpr std::string_view kOldName = "nslab-isolate-subnets";
    sockaddr_un old_name{};
    old_name.sun_family = AF_UNIX;
    std::memcpy(old_name.sun_path + 1, kOldName.data(), kOldName.size());
    const auto old_name_size =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + kOldName.size());
    nslab::Pipe report = nslab::make_pipe();
    pid_ = nslab::check(::fork(), "fork");
    if (pid_ == 0) {
      if (!become_nobody()) {
        ::_exit(1);
      }
      char outcome[4];
      const int socket = ::socket(AF_UNIX, SOCK_STREAM, 0);
      outcome[0] = ::bind(socket, reinterpret_cast<const sockaddr*>(&old_name), old_name_size) == 0
                       ? 'y'
                       : 'n';
      outcome[1] = ::mkdir(directory.c_str(), 0777) == 0 ? 'y' : 'n';
      const int fd = ::open(file.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0666);
      outcome[2] = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 'y' : 'n';
      outcome[3] = ::symlink("/tmp", file.c_str()) == 0 ? 'y' : 'n';
      (void)!::write(report.write_end.get(), outcome, sizeof outcome);
      while (true) {
        ::pause(); // keeps the socket, and anything else it got, until killed
      }
    }
    report.write_end.reset();
    pollfd readable{report.read_end.get(), POLLIN, 0};
    char outcome[4];
    if (::poll(&readable, 1, 5000) == 1 &&
        ::read(report.read_end.get(), outcome, sizeof outcome) == sizeof outcome) {
      outcome_.assign(outcome, sizeof outcome);
    }
  }
  LockAttacker(const LockAttacker&) = delete;
  LockAttacker& operator=(const LockAttacker&) = delete;
  ~LockAttacker() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  /// Old name bound, directory made, file locked, symlink planted: 'y' or
  /// 'n' each; empty when the attacker never reported.
  [[nodiscard]] const std::string& outcome() const noexcept { return outcome_; }

private:
  pid_t pid_ = -1;
  std::string outcome_;
};

/// Removes from /run whatever is not root's under the lock's names, even
/// when a check failed: what a successful attack would have left.
class RunNslabRestorer {
public:
  RunNslabRestorer() = default;
  RunNslabRestorer(const RunNslabRestorer&) = delete;
  RunNslabRestorer& operator=(const RunNslabRestorer&) = delete;
  ~RunNslabRestorer() {
    const std::string directory(nslab::net::SubnetLock::kDirectory);
    remove_unless_roots(fmt::format("{}/{}", directory, nslab::net::SubnetLock::kFileName));
    remove_unless_roots(directory);
  }

private:
  static void remove_unless_roots(const std::string& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0 && info.st_uid != 0) {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  }
};

TEST_F(Isolate, OrdinaryUserCannotHoldUpRootsVeth) {
  SKIP_WITHOUT_HOST_ROOT();
  if (!can_become_nobody()) {
    GTEST_SKIP() << "needs root, to attack as nobody";
  }
  const RunNslabRestorer restorer;
  const LockAttacker attacker;
  ASSERT_EQ(attacker.outcome().size(), 4u) << why("the attacker never reported");
  EXPECT_EQ(attacker.outcome().substr(1), "nnn")
      << why("nobody made the lock's directory, locked its file or replaced it (y: done): " +
             attacker.outcome());

  // The attacker still holds all it got. --pids, so that there is a cgroup
  // to leave behind too.
  LinkMonitor monitor;
  const Result r = isolate({"-v", "--pids", "64", "--net", "veth", "true"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  const std::string said = r.out + r.err;
  std::smatch link;
  ASSERT_TRUE(std::regex_search(said, link, std::regex("nsl[0-9]+")))
      << why(r, "named no veth link (nslN) in its -v output");
  EXPECT_TRUE(monitor.wait_for_removal(link.str(), 1000ms))
      << why(r, fmt::format("left its veth link {} on the host", link.str()));
  const std::regex made("mkdir (\\S+)");
  int cgroups = 0;
  for (auto it = std::sregex_iterator(said.begin(), said.end(), made); it != std::sregex_iterator();
       ++it, ++cgroups) {
    EXPECT_FALSE(std::filesystem::exists((*it)[1].str()))
        << why(r, fmt::format("left the cgroup {} on the host", (*it)[1].str()));
  }
  EXPECT_GT(cgroups, 0) << why(r, "made no cgroup (no \"mkdir\" in its -v output)");
}

TEST_F(Isolate, VethRefusesALockDirectoryAnotherUserMade) {
  SKIP_WITHOUT_HOST_ROOT();
  // Over a tmpfs of its own on /run, in a mount namespace of its own: the
  // host's /run is never touched. No veth pair is ever made.
  Command command{{"unshare", "--mount", "sh", "-c",
                   "mount -t tmpfs tmpfs /run && mkdir -m 755 /run/nslab && "
                   "chown 65534:65534 /run/nslab && exec \"$@\"",
                   "sh", program("isolate"), "--net", "veth", "true"}};
  command.root_in_user_namespace = false;
  const Result r = run(command);
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::string refused =
      "isolate: subnet lock /run/nslab: refused: it is a directory owned by uid 65534 with mode "
      "755, not a directory owned by root that only root can write; remove it\n";
  EXPECT_EQ(r.err, refused) << complained(r, refused);
}

TEST_F(Isolate, IpAlreadyInUseGives125) {
  SKIP_WITHOUT_HOST_ROOT();
  // A /30 free right now, chosen the way isolate does: a fixed one could be
  // in use by another root run on this machine.
  nslab::net::RouteSocket host_route;
  const nslab::net::Subnet subnet =
      nslab::net::choose_free_subnet(host_route, static_cast<unsigned>(::getpid()));
  const std::string network = nslab::net::format_ipv4(subnet.network());
  Running first = start_veth_container("echo ready; read x; exit 0", {"--ip", subnet.to_string()});
  ASSERT_TRUE(first.wait_for_output("ready\n")) << never_printed(first, "ready\n");
  // Any address inside the /30 names it.
  const std::string same_subnet = nslab::net::format_ipv4(subnet.host_address()) + "/30";
  const Result second = isolate({"--net", "veth", "--ip", same_subnet, "true"});
  EXPECT_EQ(second.code(), 125) << exited(second, 125);
  EXPECT_NE(second.err.find(fmt::format("--ip {}: already in use", subnet.to_string())),
            std::string::npos)
      << did_not_say(second, fmt::format("--ip {}: already in use", subnet.to_string()));
  first.close_stdin();
  const Result first_ended = first.finish();
  EXPECT_EQ(first_ended.code(), 0) << exited(first_ended, 0);
}

TEST_F(Isolate, IpOutsideLinkLocalAndUnknownNetModeGive125) {
  for (const Words& bad :
       {Words{"--ip", "10.0.0.1/30", "true"}, Words{"--ip", "169.254.7.1/24", "true"},
        Words{"--net", "bogus", "true"}}) {
    const Result r = isolate(bad);
    EXPECT_EQ(r.code(), 125) << exited(r, 125);
    EXPECT_EQ(r.err.rfind("isolate: --", 0), 0u) << complained(r, "isolate: --ip ... or --net ...");
  }
}

TEST_F(Isolate, DefaultNetworkIsVethWithHostRootAndLoopbackWithout) {
  const Result r = isolate({"-v", "sh", "-c", "ls /sys/class/net"});
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  const Words seen = lines(r.out);
  const bool has_eth0 = std::find(seen.begin(), seen.end(), "eth0") != seen.end();
  EXPECT_NE(std::find(seen.begin(), seen.end(), "lo"), seen.end()) << lacks(r, "lo");
  if (can_administer_host_links()) {
    EXPECT_TRUE(has_eth0) << lacks(r, "eth0");
  } else {
    EXPECT_FALSE(has_eth0) << must_not_print(r, "eth0");
    EXPECT_NE(r.err.find("isolate: --net loopback, because a veth pair needs root"),
              std::string::npos)
        << did_not_say(r, "isolate: --net loopback, because a veth pair needs root");
    const Result veth = isolate({"--net", "veth", "true"});
    EXPECT_EQ(veth.code(), 125) << exited(veth, 125);
    const std::string refused = "isolate: --net veth needs root (CAP_NET_ADMIN in the host's "
                                "network namespace); try --net loopback\n";
    EXPECT_EQ(veth.err, refused) << complained(veth, refused);
  }
}

// --- IPC namespace -----------------------------------------------------------

TEST_F(Isolate, HostSysvQueueIsInvisible) {
  const HostQueue queue;
  const auto listed = [&](const std::string& table) {
    for (const std::string& row : lines(table)) {
      if (words(row).at(0) == std::to_string(queue.key())) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(listed(read_file("/proc/sysvipc/msg")))
      << why("the test's own System V queue is not listed on the host");
  const Result r = isolate({"cat", "/proc/sysvipc/msg"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_FALSE(listed(r.out)) << why(r, "listed the host's System V queue inside");
  EXPECT_EQ(lines(r.out).size(), 1u) << printed(r, "the header of /proc/sysvipc/msg alone");
}

// --- exit statuses and errors ------------------------------------------------

TEST_F(Isolate, PassesTheCommandsStatusThrough) {
  const Result r = isolate({"sh", "-c", "exit 42"});
  EXPECT_EQ(r.code(), 42) << exited(r, 42);
}

/// The one line for a COMMAND the busybox rootfs lacks: the error, then
/// that the rootfs is not the host, and what it has instead.
std::string missing_command_line(const std::string& command) {
  return fmt::format("isolate: exec({0}): No such file or directory (the rootfs {1} has no "
                     "'{0}'; it has busybox's sh, ls, ps, ip and more: 'isolate busybox "
                     "--list' shows them all)\n",
                     command, NSLAB_ISOLATE_ROOTFS);
}

TEST_F(Isolate, MissingCommandSaysWhatTheRootfsHas) {
  const Result r = isolate({"nslab-no-such-command"});
  EXPECT_EQ(r.code(), 127) << exited(r, 127);
  EXPECT_EQ(r.err, missing_command_line("nslab-no-such-command"))
      << complained(r, missing_command_line("nslab-no-such-command"));
  const Result listed = isolate({"busybox", "--list"});
  EXPECT_EQ(listed.code(), 0) << exited(listed, 0);
  EXPECT_NE(listed.out.find("\nsh\n"), std::string::npos) << lacks(listed, "\nsh\n");
}

TEST_F(Isolate, MissingRootfsGives125WithOneLine) {
  const Result r = isolate({"-r", "/nslab-no-such-rootfs", "true"});
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  EXPECT_EQ(r.err, "isolate: rootfs(/nslab-no-such-rootfs): No such file or directory\n")
      << complained(r, "isolate: rootfs(/nslab-no-such-rootfs): No such file or directory\n");
}

TEST_F(Isolate, RootfsWithoutTmpGives125NamingWhatIsMissing) {
  const TempDir empty; // no tmp/ for pivot_root to park the old root on
  const Result r = isolate({"-r", empty.path(), "true"});
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::string expected =
      fmt::format("isolate: rootfs({0}): {0}/tmp must be a plain directory (not a symlink), "
                  "where pivot_root parks the old root\n",
                  empty.path());
  EXPECT_EQ(r.err, expected) << complained(r, expected);
  EXPECT_EQ(r.out, "") << printed(r, "");
}

// A tmp that leads elsewhere would park the old root outside the rootfs;
// pivot_root then fails with a misleading EBUSY. Refused up front instead.
TEST_F(Isolate, RootfsWhoseTmpIsASymlinkGives125Upfront) {
  const TempDir rootfs;
  ASSERT_EQ(::symlink("/", (rootfs.path() + "/tmp").c_str()), 0) << std::strerror(errno);
  const Result r = isolate({"-r", rootfs.path(), "true"});
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::string expected =
      fmt::format("isolate: rootfs({0}): {0}/tmp must be a plain directory (not a symlink), "
                  "where pivot_root parks the old root\n",
                  rootfs.path());
  EXPECT_EQ(r.err, expected) << complained(r, expected);
}

TEST_F(Isolate, UnusableRootfsFailsInTheChildWithOneLine) {
  const TempDir rootfs; // a tmp/ to pivot onto, but no proc/ to mount on
  std::filesystem::create_directory(rootfs.path() + "/tmp");
  const Result r = isolate({"-r", rootfs.path(), "true"});
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  EXPECT_EQ(r.err, "isolate: mount(/proc): No such file or directory\n")
      << complained(r, "isolate: mount(/proc): No such file or directory\n");
  EXPECT_EQ(r.out, "") << printed(r, "");
}

TEST_F(Isolate, VerboseShowsTimedStepsAndTheNamespaceTable) {
  const Result r = isolate({"-v", "true"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  for (const char* expected : {"Parent: clone into new namespaces", " Child: mount /proc",
                               " Child: detach the old root", " us\n", "net ", "NEW"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << lacks(r, expected);
  }
}

// --- signals and PID 1 -------------------------------------------------------

TEST_F(Isolate, SigtermEndsTheCommandThroughInitWith143) {
  Running running = start_idle_cat({"--init"});
  running.send_signal(SIGTERM);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 143) << exited(r, 143);
}

TEST_F(Isolate, SignalIgnoredByPidOneEndsAfterTheGracePeriod) {
  // Without --init, cat is PID 1 and the kernel drops SIGINT and SIGTERM
  // for it (it has no handler); isolate kills it after about 2 s instead.
  for (const int signal : {SIGINT, SIGTERM}) {
    Running running = start_idle_cat({});
    running.send_signal(signal);
    const Result r = running.finish();
    EXPECT_EQ(r.code(), 128 + SIGKILL) << exited(r, 128 + SIGKILL);
    // The 10 s default timeout must not be what ended it.
    EXPECT_LT(r.elapsed, 8s) << why(r, "was not ended after the grace period");
  }
}

/// SIGKILLs isolate while cat runs in the container; true when the
/// container's PID 1 is gone within a bounded wait.
void expect_container_dies_with_isolate(const Words& options) {
  Running running = start_idle_cat(options);
  const pid_t container = container_pid(running.pid());
  ASSERT_GT(container, 0) << has_not_printed(running, "ready (from cat in the container)");
  const nslab::UniqueFd container_fd = open_pidfd(container);
  ASSERT_TRUE(container_fd.valid()) << why("the container ended before isolate was killed");
  running.send_signal(SIGKILL);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 128 + SIGKILL) << exited(r, 128 + SIGKILL);
  EXPECT_TRUE(wait_for_exit(container_fd, 5s)) << why("the container outlived isolate by 5 s");
}

TEST_F(Isolate, SigkillOfIsolateLeavesNoContainerProcess) {
  expect_container_dies_with_isolate({});
  if (!runs_in_user_namespace()) {
    // Root mapping other ids: the child changes its credentials, which
    // clears the parent-death signal unless isolate arms it again.
    expect_container_dies_with_isolate({"-u", "4242:4242"});
  }
}

TEST_F(Isolate, InitReapsOrphansAndPassesStatusOn) {
  // sh waits for the subshell, so by "ready" its `true` has been orphaned
  // and re-parented to PID 1. A reaping init is left with one child (sh,
  // then sleep); without one, the exited `true` stays beside it as a zombie.
  Running running = start_isolate({"--init"}, "(true &); echo ready; exec sleep 100");
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  const pid_t init = container_pid(running.pid());
  ASSERT_GT(init, 0) << why("isolate has no container process");
  EXPECT_TRUE(eventually([&] { return children_of(init).size() == 1; }))
      << why("PID 1 (--init) did not reap the orphan");
  running.send_signal(SIGTERM);
  const Result ended = running.finish();
  EXPECT_EQ(ended.code(), 143) << exited(ended, 143);

  // COMMAND is init's child. Not necessarily PID 2: container_main's second
  // thread had a PID in the container too.
  const Result second = isolate({"--init", "sh", "-c", "echo $$; exit 42"});
  EXPECT_GT(std::atoi(second.out.c_str()), 1)
      << why(fmt::format("COMMAND under --init printed its PID as \"{}\", not one above "
                         "init's 1",
                         second.out));
  EXPECT_EQ(second.code(), 42) << exited(second, 42);
  const Result missing = isolate({"--init", "nslab-no-such-command"});
  EXPECT_EQ(missing.code(), 127) << exited(missing, 127);
  EXPECT_EQ(missing.err, missing_command_line("nslab-no-such-command"))
      << complained(missing, missing_command_line("nslab-no-such-command"));
}

// --- nothing left behind -----------------------------------------------------

TEST_F(Isolate, ThirtyRunsLeaveTheHostAsItWas) {
  const std::string mounts = read_file("/proc/self/mountinfo");
  const Names ipc = sysv_objects();
  const Names rootfs = directory_entries(NSLAB_ISOLATE_ROOTFS);
  const std::string routing = host_routing_state();
  Names links; // the veth host ends of these runs, from -v (none without root)
  for (int i = 0; i < 30; ++i) {
    // One monitor per run: thirty runs' announcements would overflow one.
    LinkMonitor monitor;
    const Result r = isolate({"-v", "true"});
    ASSERT_EQ(r.code(), 0) << exited(r, 0) << "(run " << i << ")";
    for (const std::string& word : words(r.out)) {
      if (word.rfind("nsl", 0) == 0) {
        links.insert(word);
        EXPECT_TRUE(monitor.wait_for_removal(word, 1000ms))
            << why(fmt::format("the veth host end {} was left on the host", word));
      }
    }
  }
  EXPECT_EQ(links.size(), can_administer_host_links() ? 30u : 0u)
      << why(fmt::format("the 30 runs named {} veth links in their -v output", links.size()));
  EXPECT_EQ(read_file("/proc/self/mountinfo"), mounts) << why("the host's mount table changed");
  EXPECT_EQ(directory_entries(NSLAB_ISOLATE_ROOTFS), rootfs) << why("the rootfs changed");
  EXPECT_EQ(host_routing_state(), routing) << why("the host's routes or ip_forward changed");
  // Other suites may create IPC objects while this runs; theirs come and
  // go, a leak would stay.
  EXPECT_TRUE(eventually([&] { return added(ipc, sysv_objects()).empty(); }))
      << why("an IPC object was left on the host");
  EXPECT_TRUE(leftover_processes().empty()) << why("a process of a run was left on the host");
}

} // namespace
