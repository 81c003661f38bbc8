// isolate's command line: what the user asked for, parsed and checked before
// any namespace exists, so a mistake costs nothing and changes nothing.
#pragma once

#include "capabilities.hpp"
#include "cgroup.hpp"
#include "netlink.hpp"
#include "user_namespace.hpp"
#include "volumes.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace isolate {

/// What the container's network namespace gets.
enum class NetMode {
  kNone,     ///< a new network namespace with `lo` left down
  kLoopback, ///< a new network namespace with `lo` up
  kVeth,     ///< `lo` up, plus a veth pair to the host (needs host root)
};

/// Whether the container gets a pseudo-terminal of its own (see terminal.hpp).
enum class TtyChoice {
  kAuto,   ///< when isolate's stdin is a terminal
  kAlways, ///< --tty
  kNever,  ///< --no-tty
};

/// Everything isolate was asked to do.
struct Options {
  std::string rootfs;               ///< the new root: -r, else $ISOLATE_ROOTFS, else the build's
  std::string hostname = "isolate"; ///< -H
  UserRequest users;                ///< -u or --userns-remap
  std::vector<Volume> volumes;      ///< --volume, in the order given
  std::vector<std::string> env;     ///< the container's whole environment, NAME=VALUE each
  /// --net; unset means veth where isolate may create links, else loopback.
  std::optional<NetMode> net;
  std::optional<nslab::net::Subnet> ip; ///< --ip, for --net veth
  bool init = false;                    ///< --init: our own PID 1 runs COMMAND
  cgroup::Limits limits;                ///< --memory, --pids, --cpus
  /// --read-only: the rootfs without the private writable layer over it.
  bool read_only = false;
  caps::Changes capabilities;       ///< --cap-add, --cap-drop
  bool seccomp = true;              ///< false for --seccomp unconfined
  TtyChoice tty = TtyChoice::kAuto; ///< --tty, --no-tty
  bool verbose = false;             ///< -v
  std::vector<std::string> command; ///< COMMAND [ARG...]
};

/// The text -h prints.
extern const std::string_view kUsage;

/// Parses argv; throws nslab::UsageError on anything it cannot accept.
[[nodiscard]] Options parse_options(int argc, char** argv);

/// Parses a --net MODE word; throws nslab::UsageError for an unknown one.
[[nodiscard]] NetMode parse_net_mode(std::string_view word);

/// The name of \p mode as --net spells it.
[[nodiscard]] std::string_view net_mode_name(NetMode mode);

} // namespace isolate
