// isolate's command line: the usage text, the options and the container's
// clean environment. Kept apart from isolate.cpp because all of it happens
// before any namespace exists, and none of it needs one.

#include "options.hpp"

#include "nslab/cli.hpp"
#include "nslab/error.hpp"
#include "nslab/hostname.hpp"

#include <array>
#include <cstdlib>
#include <fmt/core.h>

namespace isolate {

const std::string_view kUsage = R"(Usage: isolate [options] [--] COMMAND [ARG...]

Runs COMMAND in new user, mount, PID, UTS, IPC, network and cgroup
namespaces, on its own root filesystem: a small `docker run`.

Options:
  -r, --rootfs DIR         the root filesystem (default: $ISOLATE_ROOTFS, else
                           the busybox rootfs the build made)
  -H, --hostname NAME      the container's hostname (default: isolate)
  -u, --map-user UID[:GID] map only root inside, to these host ids (a missing
                           GID is your own; only root may map ids other than
                           its own)
      --userns-remap BASE  as root: container ids 0-65535 are host ids
                           BASE..BASE+65535, so container root is no real user
                           (without it, root gets host ids 0-65535 as they are;
                           rootless gets your ids, then the first ranges that
                           /etc/subuid and /etc/subgid lend you, if any)
  -e, --env NAME=VALUE     add to the clean environment (repeatable); it starts
                           with PATH, HOME=/root, HOSTNAME and TERM (if set)
      --volume HOST_DIR:CONTAINER_DIR[:ro]
                           share HOST_DIR at CONTAINER_DIR (made if missing),
                           nosuid and nodev, read-only with :ro (repeatable)
      --net MODE           none (lo down), loopback (lo up) or veth (lo up, and
                           eth0 paired with a host link, 169.254.x.y/30). The
                           default is veth as root, loopback otherwise.
      --ip A.B.C.D/30      with veth: the /30 to use, inside 169.254.0.0/16
                           (default: a free one; one in use is an error)
      --init               run a tiny init as PID 1, which reaps zombies,
                           forwards signals and exits with COMMAND's status
      --memory BYTES       limit memory (and swap) to BYTES, with a k, m or g
                           suffix: 32m (at least 6m); over it the kernel kills
      --pids N             at most N processes (and threads) at once
      --cpus FRACTION      at most FRACTION CPUs of time, e.g. 0.5
                           (the limits need root, or a delegated cgroup)
      --read-only          no writable layer: writes to the rootfs fail
                           (EROFS). By default an overlay on a tmpfs takes
                           them, and they vanish when the container exits;
                           the rootfs directory itself never changes.
      --cap-add NAME       give the container capability NAME (repeatable;
                           CAP_ prefix and case optional; ALL for every one)
      --cap-drop NAME      take capability NAME away (repeatable; ALL too).
                           The default is Docker's 14: CHOWN DAC_OVERRIDE
                           FOWNER FSETID KILL SETGID SETUID SETPCAP
                           NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD
                           AUDIT_WRITE SETFCAP
      --seccomp PROFILE    default (a filter like Docker's: keyctl, bpf,
                           mount, reboot, ... fail with EPERM) or unconfined
      --tty                give COMMAND a pseudo-terminal of its own, relayed
                           to isolate's stdin and stdout (the default when
                           stdin is a terminal, which is put in raw mode)
      --no-tty             no pseudo-terminal: stdin, stdout and stderr pass
                           straight through. Either way COMMAND runs in a new
                           session, without isolate's controlling terminal.
  -v, --verbose            show each setup step with its time in
                           microseconds, and the namespace table
  -h, --help               show this help and exit

Exit status: COMMAND's own; 128+N if it was killed by signal N; 125 if
isolate itself failed; 126 if COMMAND could not be executed; 127 if it was
not found.
)";

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

enum LongOnly : int {
  kNetOption = 1000,
  kIpOption,
  kInitOption,
  kMemoryOption,
  kPidsOption,
  kCpusOption,
  kRemapOption,
  kReadOnlyOption,
  kCapAddOption,
  kCapDropOption,
  kSeccompOption,
  kVolumeOption,
  kTtyOption,
  kNoTtyOption,
};

constexpr std::array kNetModes = {NetMode::kNone, NetMode::kLoopback, NetMode::kVeth};

std::string default_rootfs() {
  const char* from_environment = std::getenv("ISOLATE_ROOTFS");
  return from_environment && *from_environment ? from_environment : NSLAB_ISOLATE_ROOTFS;
}

std::string_view variable_name(std::string_view assignment) {
  return assignment.substr(0, assignment.find('='));
}

/// Sets NAME=VALUE in \p env, replacing an earlier value of NAME.
void set_variable(std::vector<std::string>& env, std::string assignment) {
  std::erase_if(
      env, [&](const std::string& old) { return variable_name(old) == variable_name(assignment); });
  env.push_back(std::move(assignment));
}

void add_user_variable(std::vector<std::string>& env, std::string assignment) {
  if (assignment.find('=') == std::string::npos || assignment.front() == '=') {
    throw nslab::UsageError(fmt::format("-e: expected NAME=VALUE, got '{}'", assignment));
  }
  set_variable(env, std::move(assignment));
}

/// Records --tty or --no-tty; asking for both cannot mean anything.
void choose_tty(TtyChoice& tty, TtyChoice choice, std::string_view option) {
  if (tty != TtyChoice::kAuto && tty != choice) {
    throw nslab::UsageError(fmt::format("{}: cannot be combined with {}", option,
                                        choice == TtyChoice::kAlways ? "--no-tty" : "--tty"));
  }
  tty = choice;
}

/// The clean environment COMMAND starts with; nothing else of the host's leaks in.
std::vector<std::string> base_environment(const std::string& hostname) {
  std::vector<std::string> env = {fmt::format("PATH={}", kDefaultPath), "HOME=/root",
                                  fmt::format("HOSTNAME={}", hostname)};
  if (const char* term = std::getenv("TERM")) {
    env.push_back(fmt::format("TERM={}", term));
  }
  return env;
}

/// --seccomp's PROFILE: true for the filter, false for none.
bool parse_seccomp_profile(std::string_view profile) {
  if (profile == "default" || profile == "unconfined") {
    return profile == "default";
  }
  throw nslab::UsageError(
      fmt::format("--seccomp: unknown profile '{}' (expected default or unconfined)", profile));
}

} // namespace

NetMode parse_net_mode(std::string_view word) {
  std::string known;
  for (const NetMode mode : kNetModes) {
    if (word == net_mode_name(mode)) {
      return mode;
    }
    known += fmt::format("{}{}", known.empty() ? "" : ", ", net_mode_name(mode));
  }
  throw nslab::UsageError(
      fmt::format("--net: unknown mode '{}' (expected one of: {})", word, known));
}

std::string_view net_mode_name(NetMode mode) {
  switch (mode) {
  case NetMode::kNone:
    return "none";
  case NetMode::kLoopback:
    return "loopback";
  case NetMode::kVeth:
    return "veth";
  }
  return "?";
}

Options parse_options(int argc, char** argv) {
  static const option kLongOptions[] = {
      {"rootfs", required_argument, nullptr, 'r'},
      {"hostname", required_argument, nullptr, 'H'},
      {"map-user", required_argument, nullptr, 'u'},
      {"env", required_argument, nullptr, 'e'},
      {"net", required_argument, nullptr, kNetOption},
      {"ip", required_argument, nullptr, kIpOption},
      {"init", no_argument, nullptr, kInitOption},
      {"memory", required_argument, nullptr, kMemoryOption},
      {"pids", required_argument, nullptr, kPidsOption},
      {"cpus", required_argument, nullptr, kCpusOption},
      {"userns-remap", required_argument, nullptr, kRemapOption},
      {"read-only", no_argument, nullptr, kReadOnlyOption},
      {"cap-add", required_argument, nullptr, kCapAddOption},
      {"cap-drop", required_argument, nullptr, kCapDropOption},
      {"seccomp", required_argument, nullptr, kSeccompOption},
      {"volume", required_argument, nullptr, kVolumeOption},
      {"tty", no_argument, nullptr, kTtyOption},
      {"no-tty", no_argument, nullptr, kNoTtyOption},
      {"verbose", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  Options options;
  options.rootfs = default_rootfs();
  std::vector<std::string> user_env;
  const int first_word = nslab::parse_options(
      argc, argv, "+:r:H:u:e:vh", kLongOptions, [&](int option, const char* value) {
        switch (option) {
        case 'r':
          options.rootfs = value;
          break;
        case 'H':
          nslab::validate_hostname(value, "-H");
          options.hostname = value;
          break;
        case 'u':
          options.users.map_user = parse_id_pair(value);
          break;
        case kRemapOption:
          options.users.userns_remap = parse_remap_base(value);
          break;
        case kVolumeOption:
          options.volumes.push_back(parse_volume(value));
          break;
        case 'e':
          add_user_variable(user_env, value);
          break;
        case kNetOption:
          options.net = parse_net_mode(value);
          break;
        case kIpOption:
          options.ip = nslab::net::parse_subnet(value);
          break;
        case kInitOption:
          options.init = true;
          break;
        case kMemoryOption:
          options.limits.memory_bytes = cgroup::parse_memory(value, "--memory");
          break;
        case kPidsOption:
          options.limits.pids = cgroup::parse_pids(value, "--pids");
          break;
        case kCpusOption:
          options.limits.cpu_quota_microseconds = cgroup::parse_cpus(value, "--cpus");
          break;
        case kReadOnlyOption:
          options.read_only = true;
          break;
        case kCapAddOption:
          caps::record(options.capabilities, value, true, "--cap-add");
          break;
        case kCapDropOption:
          caps::record(options.capabilities, value, false, "--cap-drop");
          break;
        case kSeccompOption:
          options.seccomp = parse_seccomp_profile(value);
          break;
        case kTtyOption:
          choose_tty(options.tty, TtyChoice::kAlways, "--tty");
          break;
        case kNoTtyOption:
          choose_tty(options.tty, TtyChoice::kNever, "--no-tty");
          break;
        case 'v':
          options.verbose = true;
          break;
        }
      });
  if (options.users.map_user && options.users.userns_remap) {
    throw nslab::UsageError("-u and --userns-remap: choose one");
  }
  if (options.ip && options.net && *options.net != NetMode::kVeth) {
    throw nslab::UsageError("--ip: only --net veth has an address to set");
  }
  if (first_word == argc) {
    throw nslab::UsageError("no COMMAND given");
  }
  options.command.assign(argv + first_word, argv + argc);
  nslab::reject_empty_command(options.command);
  options.env = base_environment(options.hostname);
  for (std::string& assignment : user_env) {
    set_variable(options.env, std::move(assignment));
  }
  return options;
}

} // namespace isolate
