// isolate: a small `docker run`. Runs COMMAND in new user, mount, PID, UTS,
// IPC, network and cgroup namespaces, on a busybox root filesystem, as root
// inside, even when started by an ordinary user.
//
// Follows Ifeanyi Ubah, "A deep dive into Linux namespaces" (the article's
// isolate), and fixes what it leaves open: the uid map follows the invoker
// instead of a hard-coded 1000, the rootfs path is not tied to the working
// directory, mounts never propagate to the host, the old root leaves no
// directory behind, lo comes up, and the exit status tells what happened.
//
// Like docker run, it is a sandbox too: what runs inside may not change the
// host. The container writes to a private layer over a read-only rootfs,
// keeps Docker's 14 capabilities, runs under a seccomp filter, sees kernel
// files read-only or masked, and has a session and a keyring of its own
// (the hardening steps in container_main).
//
// The order matters throughout; mounts.hpp explains the mount steps.

#include "capabilities.hpp"
#include "cgroup.hpp"
#include "etc_files.hpp"
#include "init.hpp"
#include "keyring.hpp"
#include "mounts.hpp"
#include "netlink.hpp"
#include "options.hpp"
#include "seccomp.hpp"
#include "steps.hpp"
#include "terminal.hpp"
#include "user_namespace.hpp"

#include "nslab/checkpoint.hpp"
#include "nslab/child.hpp"
#include "nslab/cli.hpp"
#include "nslab/error.hpp"
#include "nslab/exit_status.hpp"
#include "nslab/hostname.hpp"
#include "nslab/narrator.hpp"
#include "nslab/signals.hpp"
#include "nslab/supervise.hpp"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <fmt/core.h>
#include <future>
#include <memory>
#include <optional>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace isolate {
namespace {

using namespace std::chrono_literals;

// [namespace-flags]
/// The namespaces clone(2) makes. The child makes the other two itself: the
/// cgroup namespace once it is in its cgroup (see make_cgroup_namespace()),
/// and the network namespace on a second thread (see container_main()).
constexpr int kNamespaceFlags =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
// [namespace-flags]

/// The parent and the child take turns: the child waits at its checkpoint
/// (see nslab::Start::kWhenReleased) while the parent writes its id maps and
/// moves it into its cgroup. When the parent has more to do once all the
/// container's namespaces exist (see parent_works_midway()), the child
/// waits for it again there.
struct Handshake {
  /// Parent to child, released with the child: switching ids clears the
  /// child's parent-death signal until it re-arms it, and this checkpoint's
  /// lifeline, read after re-arming, tells whether the parent died in
  /// between (no signal comes for that).
  nslab::Checkpoint ids_switched;
  /// Child to parent: the Checkpoint used the other way round, so "parent
  /// died" reads "the child died" here.
  nslab::Checkpoint namespaces_made;
  nslab::Checkpoint parent_done; ///< parent to child
};

// How long a forwarded signal may go unanswered before the container is
// killed: PID 1 ignores every signal it has no handler for.
constexpr auto kSignalGrace = 2s;

/// The rootfs as one absolute path without symlinks, which the bind mount
/// and pivot_root(2) need. Checked here, before any namespace exists,
/// including the /tmp directory that pivot_into() parks the old root on.
std::string resolve_rootfs(const std::string& rootfs) {
  const std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(rootfs.c_str(), nullptr),
                                                             &std::free);
  if (!resolved) {
    nslab::throw_errno("rootfs", rootfs);
  }
  struct stat info {};
  nslab::check(::stat(resolved.get(), &info), "rootfs", rootfs);
  if (!S_ISDIR(info.st_mode)) {
    throw nslab::Error(ENOTDIR, "rootfs", rootfs);
  }
  // pivot_root(2) would fail with a bare ENOENT that names the rootfs, not
  // what is missing in it.
  // lstat, not stat: a tmp that is a symlink (to /, say) would park the old
  // root somewhere else and fail later with a misleading EBUSY.
  const std::string put_old = fmt::format("{}/tmp", resolved.get());
  const bool found = ::lstat(put_old.c_str(), &info) == 0;
  if (!found && errno != ENOENT) {
    nslab::throw_errno("rootfs", put_old); // EACCES, say: the errno text tells
  }
  if (!found || !S_ISDIR(info.st_mode)) {
    throw nslab::Error(ENOTDIR, "rootfs", rootfs,
                       fmt::format("{} must be a plain directory (not a symlink), where "
                                   "pivot_root parks the old root",
                                   put_old));
  }
  return resolved.get();
}

/// The container's network, decided before clone so that the child's copy
/// of memory already holds it.
struct NetworkPlan {
  NetMode mode;
  std::optional<nslab::net::Subnet> subnet; ///< veth only: the pair's /30
};

// [plan-network]
/// What the parent holds in the host's network namespace for --net veth.
struct HostNetwork {
  std::optional<nslab::net::RouteSocket> route; ///< opened for the dump and the host end
  /// Held from the dump until the host end has its address; see SubnetLock.
  std::optional<nslab::net::SubnetLock> lock;
};

/// Picks the network mode, and for veth the /30, in the host's namespace.
/// For veth, \p host is left with the socket and the lock for afterwards.
NetworkPlan plan_network(const Options& options, HostNetwork& host, const nslab::Narrator& say) {
  if (options.net && *options.net != NetMode::kVeth) {
    return {*options.net, std::nullopt};
  }
  host.route.emplace();
  // Found by trying: root in a user namespace is still not root over the
  // host's links.
  if (!host.route->can_administer_links()) {
    host.route.reset();
    if (options.net || options.ip) {
      throw nslab::Error("--net veth needs root (CAP_NET_ADMIN in the host's network "
                         "namespace); try --net loopback");
    }
    if (say.enabled()) {
      fmt::print(stderr, "isolate: --net loopback, because a veth pair needs root "
                         "(CAP_NET_ADMIN in the host's network namespace)\n");
    }
    return {NetMode::kLoopback, std::nullopt};
  }
  // Before the dump: no other instance may take "our" /30 until the host
  // end holds it.
  host.lock.emplace();
  if (options.ip) {
    nslab::net::ensure_subnet_free(*host.route, *options.ip);
    return {NetMode::kVeth, options.ip};
  }
  // The pid spreads concurrent instances' searches far apart (see netlink.hpp).
  return {NetMode::kVeth,
          nslab::net::choose_free_subnet(*host.route, static_cast<unsigned>(::getpid()))};
}
// [plan-network]

/// True when the parent has work to do once all of the container's
/// namespaces exist, which the child then waits for: the -v table of them,
/// or the host's end of a veth pair whose other end is born in the
/// container's network namespace.
bool parent_works_midway(const Options& options, const NetworkPlan& network) {
  return options.verbose || network.mode == NetMode::kVeth;
}

// [container-network]
/// Makes a network namespace, for the calling thread alone until the first
/// thread joins it, and sets lo up in it unless --net none. Returns a
/// descriptor of the namespace for setns(2).
nslab::UniqueFd make_network_namespace(NetMode mode) {
  nslab::check(::unshare(CLONE_NEWNET), "unshare", "CLONE_NEWNET");
  // Through a socket made in here: the parent's was opened in the host's
  // network namespace.
  if (mode != NetMode::kNone) {
    nslab::net::set_up_loopback(); // down, as a new network namespace starts
  }
  return nslab::net::current_network_namespace();
}

/// Starts make_network_namespace() on a second thread, and returns the
/// namespace to come. Where the container may hold no second task (\p
/// room_for_a_thread false for --pids 1; an outer pids.max or ulimit -u
/// can say so too), it is made on this thread instead, when get() asks:
/// later, but the same. \p step must outlive the future.
std::future<nslab::UniqueFd> start_network_namespace(NetMode mode, bool room_for_a_thread,
                                                     const Steps& step) {
  auto make = [mode, &step](std::string_view name) {
    return
        [mode, &step, name] { return step(name, [mode] { return make_network_namespace(mode); }); };
  };
  if (room_for_a_thread) {
    try {
      return std::async(std::launch::async, make("new network namespace (second thread)"));
    } catch (const std::system_error&) {
      // EAGAIN: the kernel refused the thread. Made below, on this one.
    }
  }
  return std::async(std::launch::deferred, make("new network namespace"));
}

void join_network_namespace(const nslab::UniqueFd& netns) {
  nslab::check(::setns(netns.get(), CLONE_NEWNET), "setns", "CLONE_NEWNET");
}
// [container-network]

/// eth0's address in the container, for /etc/hosts; none without veth.
std::optional<std::string> container_address(const NetworkPlan& plan) {
  if (plan.mode != NetMode::kVeth) {
    return std::nullopt;
  }
  return nslab::net::format_ipv4(plan.subnet->container_address());
}

// [seal]
/// The last steps before exec: nothing of isolate's may reach COMMAND.
void seal_process() {
  // CLOEXEC rather than close: the error channel must stay open until the
  // exec itself, to report its failure; every other descriptor goes then.
  nslab::check(::close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC), "close_range");
  // No set-user-ID binary or file capability can raise COMMAND's privileges.
  nslab::check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");
}
// [seal]

/// Replaces the environment, so execvp's PATH search uses the container's PATH.
void replace_environment(const std::vector<std::string>& env) {
  ::clearenv();
  for (const std::string& assignment : env) {
    const auto equals = assignment.find('=');
    nslab::check(
        ::setenv(assignment.substr(0, equals).c_str(), assignment.substr(equals + 1).c_str(), 1),
        "setenv", assignment);
  }
}

// [cgroup-namespace]
/// A new cgroup namespace's root is the cgroup its maker is in at that
/// moment: made now, after the parent moved us into the container's cgroup,
/// /proc/self/cgroup inside shows that cgroup as "/" and nothing above it.
/// Made by clone(2), it would have shown isolate's own cgroup as "/" and the
/// container's as a child of it.
void make_cgroup_namespace() {
  nslab::check(::unshare(CLONE_NEWCGROUP), "unshare", "CLONE_NEWCGROUP");
}
// [cgroup-namespace]

/// For a COMMAND the rootfs lacks (127): the first thing to know is that
/// the container has its own /bin, and for the busybox rootfs what is in it.
/// Throws \p error again with that said after its errno text.
[[noreturn]] void rethrow_with_rootfs_hint(const nslab::ExecError& error, const Options& options) {
  if (error.exit_code() != nslab::kExitNotFound) {
    throw error;
  }
  const std::string busybox = fmt::format("{}/bin/busybox", options.rootfs);
  const bool is_busybox = ::access(busybox.c_str(), X_OK) == 0;
  throw nslab::ExecError(error.code().value(), error.object(),
                         fmt::format("{} (the rootfs {} has no '{}'{})", error.reason(),
                                     options.rootfs, options.command.front(),
                                     is_busybox ? "; it has busybox's sh, ls, ps, ip and more: "
                                                  "'isolate busybox --list' shows them all"
                                                : ""));
}

// [container-main]
/// The child's filesystem up to /dev, on the first thread: the new root,
/// with the old one still at /tmp. Returns the volumes' host directories,
/// opened before the old root goes (see attach_volumes()).
std::vector<nslab::UniqueFd> build_root(const Options& options, const Steps& step) {
  step("make every mount private", make_mounts_private);
  std::vector<nslab::UniqueFd> volume_copies;
  if (!options.volumes.empty()) {
    volume_copies =
        step("copy the volumes' host directories", [&] { return open_volumes(options.volumes); });
  }
  if (options.read_only) {
    step("bind the rootfs read-only", [&] { bind_read_only(options.rootfs); });
  } else {
    step("mount the writable layer (overlayfs)", [&] { mount_writable_layer(options.rootfs); });
  }
  step("pivot_root (old root at /tmp)", [&] { pivot_into(options.rootfs); });
  step("mount /proc", mount_proc);
  step("make /dev", make_dev);
  return volume_copies;
}

/// What the first thread does while the second makes the network
/// namespace: steps that need nothing of it. Returns the seccomp filter,
/// compiled, for harden() to load last; none with --seccomp unconfined.
std::optional<seccomp::Program> meanwhile(const Options& options, const NetworkPlan& network,
                                          const Steps& step) {
  // Before the volumes: a volume on /etc then covers these files, rather
  // than receiving them in the host's directory.
  step("bind /etc/hostname and /etc/hosts", [&] {
    provide_etc_files(options.hostname, hosts_text(options.hostname, container_address(network)));
  });
  step("set the hostname", [&] { nslab::set_hostname(options.hostname); });
  // Nothing after this writes to the kernel files.
  step("read-only /proc/sys, mask /proc/kcore", protect_kernel_files);
  if (!options.seccomp) {
    return std::nullopt;
  }
  return step("compile the seccomp filter",
              [&] { return seccomp::compile_filter(caps::resolve(options.capabilities)); });
}

/// The rest of the filesystem, once the network namespace is joined.
void finish_root(const Options& options, std::vector<nslab::UniqueFd>& volume_copies,
                 const Steps& step) {
  // /sys shows the network devices of the namespace its mounter is in.
  step("mount /sys read-only, mask /sys/firmware", mount_sys);
  step("detach the old root", detach_old_root);
  step("mount /tmp", mount_tmp);
  if (!options.volumes.empty()) {
    step("attach the volumes", [&] { attach_volumes(options.volumes, volume_copies); });
  }
}

// [hardening-steps]
/// The restrictions, once setup no longer needs what they take away (the
/// kernel files are protected already, in meanwhile()).
void harden(const Options& options, const std::optional<seccomp::Program>& filter,
            const Steps& step) {
  step("join a new session keyring", join_new_session_keyring);
  if (options.init) {
    step("PID 1: not dumpable, argv, environ",
         [&] { hide_isolate_in_pid1(options.command, options.env); });
  }
  const caps::Set capabilities = caps::resolve(options.capabilities);
  step("keep {} capabilities", caps::count(capabilities), [&] { caps::limit_to(capabilities); });
  step("close fds on exec, no_new_privs", seal_process);
  if (filter) {
    // Last: the filter denies calls that the steps above make.
    step("load the seccomp filter", [&] { seccomp::load(*filter); });
  }
}
// [hardening-steps]

/// The child, from clone(2) to exec: it runs inside the new namespaces, and
/// makes the last two itself. Released from the checkpoint only once the
/// parent has written our id maps: until then we are "nobody" in here and
/// may not mount anything.
int container_main(const Options& options, const NetworkPlan& network, Handshake& handshake,
                   const TerminalPlan& terminal, MasterHandoff& handoff,
                   const nslab::Narrator& say) {
  const Steps step(say, Steps::Side::kChild);
  step("new cgroup namespace", make_cgroup_namespace);
  step("become root inside", become_root_inside);
  if (handshake.ids_switched.wait() == nslab::Checkpoint::Outcome::kParentDied) {
    return nslab::kExitSetupFailed;
  }
  // [network-thread]
  // A new network namespace takes longer to make than all the mounts below
  // (half a millisecond: a loopback device, the sysctl tables). A second
  // thread makes it meanwhile, on the core that would otherwise sit idle.
  // Started after become_root_inside(): no ids change while two threads run.
  std::future<nslab::UniqueFd> netns =
      start_network_namespace(network.mode, options.limits.pids != 1U, step);
  std::vector<nslab::UniqueFd> volume_copies = build_root(options, step);
  const std::optional<seccomp::Program> filter = meanwhile(options, network, step);
  // get() waits for the second thread and joins it: from here on this is
  // the only thread, the one the capabilities and the filter will bind.
  const nslab::UniqueFd netns_fd = netns.get();
  step("join the network namespace", [&] { join_network_namespace(netns_fd); });
  // [network-thread]
  finish_root(options, volume_copies, step);
  if (parent_works_midway(options, network)) {
    handshake.namespaces_made.release();
    if (handshake.parent_done.wait() == nslab::Checkpoint::Outcome::kParentDied) {
      return nslab::kExitSetupFailed;
    }
  }
  if (network.mode == NetMode::kVeth) {
    step("configure eth0", [&] { nslab::net::set_up_container_end(*network.subnet); });
  }
  step(terminal.pty ? "new session, /dev/pts/0 its terminal" : "new session, no terminal",
       [&] { take_terminal(terminal, handoff); });
  // Before PID 1 overwrites the memory that the old environment is in.
  replace_environment(options.env);
  harden(options, filter, step);
  if (options.init) {
    return run_init(options.command);
  }
  nslab::exec_command(options.command);
}
// [container-main]

// [make-cgroup]
/// The container's cgroup, with its limits set, or none when no limit was
/// asked for. -v shows each change to the cgroup filesystem.
void make_cgroup(const Options& options, const nslab::Narrator& say,
                 std::optional<cgroup::Cgroup>& made) {
  const cgroup::Layout layout =
      cgroup::this_process_layout(cgroup::controllers_for(options.limits));
  made.emplace(layout, fmt::format("isolate-{}", ::getpid()),
               [&say](const std::string& command) { say.parent("  {}", command); });
  made->limit(options.limits);
}
// [make-cgroup]

/// -v: why the container ended, when the memory limit was the reason.
void explain_memory_kills(const cgroup::Cgroup& limits, const nslab::Narrator& say) {
  if (const std::uint64_t kills = limits.memory_kills(); kills > 0) {
    say.parent("the memory limit was hit: the kernel's OOM killer killed {} process{} "
               "in the container's cgroup",
               kills, kills == 1 ? "" : "es");
  }
}

// [supervise]
/// Waits for the container, relaying its terminal if it has one.
nslab::ExitStatus supervise(nslab::Child& child, nslab::SignalFd& signals,
                            const TerminalPlan& terminal, MasterHandoff& handoff,
                            const Options& options) {
  // Its exec first: a container that failed before it sends no terminal.
  try {
    child.wait_for_exec();
  } catch (const nslab::ExecError& error) {
    rethrow_with_rootfs_hint(error, options);
  }
  // In a session of its own, the container is out of reach of our
  // terminal's signals: Ctrl-C reaches only us, so we pass it on.
  constexpr auto kForward = nslab::TerminalSignals::kForward;
  if (!terminal.pty) {
    return nslab::wait_forwarding_signals(child, signals, kSignalGrace, kForward);
  }
  // The container has exec'd, so its terminal is waiting in the socket.
  // On every way out of here, ~Relay gives the invoker's terminal its mode
  // back, before isolate prints anything more.
  Relay relay(handoff.receive());
  return nslab::wait_forwarding_signals(child, signals, kSignalGrace, kForward, &relay);
}
// [supervise]

// [host-end]
/// --net veth: creates the pair, its other end in the namespace of
/// \p child_pid, and configures the host end; then the subnet lock can go.
nslab::net::HostEnd make_host_end(const NetworkPlan& network, HostNetwork& host, pid_t child_pid,
                                  const Steps& step, const nslab::Narrator& say) {
  nslab::net::HostEnd host_end = step("create the veth pair", [&] {
    return nslab::net::set_up_host_end(*host.route, child_pid, *network.subnet);
  });
  host.lock.reset(); // the /30 is visibly taken now
  say.parent("{} {}/30 UP <-> eth0 {}/30 in the container", host_end.name(),
             nslab::net::format_ipv4(network.subnet->host_address()),
             nslab::net::format_ipv4(network.subnet->container_address()));
  return host_end;
}
// [host-end]

// [midway]
/// The parent's part once the container's namespaces all exist, while the
/// child waits: the -v table, and for --net veth the pair, returned. Nothing
/// when the child died first: it has sent its reason over the error channel.
std::optional<nslab::net::HostEnd> work_midway(const nslab::Child& child, Handshake& handshake,
                                               const NetworkPlan& network, HostNetwork& host,
                                               const Steps& step, const nslab::Narrator& say) {
  if (handshake.namespaces_made.wait() != nslab::Checkpoint::Outcome::kReleased) {
    return std::nullopt;
  }
  say.parent("namespaces of isolate and of the container:");
  say.namespaces(::getpid(), child.pid());
  std::optional<nslab::net::HostEnd> host_end;
  if (network.mode == NetMode::kVeth) {
    host_end.emplace(make_host_end(network, host, child.pid(), step, say));
  }
  handshake.parent_done.release();
  return host_end;
}
// [midway]

// [parent-main]
int run(const Options& options) {
  const nslab::Narrator say(options.verbose);
  const Steps step(say, Steps::Side::kParent);
  // Blocked from here on: a signal waits until we can pass it on.
  nslab::SignalFd signals;
  const IdMaps ids = step("plan the id maps", [&] { return plan_id_maps(options.users); });
  say.parent("ids: {}", ids.reason);
  // Declared before the child, so it is removed after the child is reaped;
  // made before the network plan, which holds the subnet lock until the veth
  // pair exists.
  std::optional<cgroup::Cgroup> limits;
  if (options.limits.any()) {
    step("make the cgroup, set the limits", [&] { make_cgroup(options, say, limits); });
  }
  HostNetwork host;
  const NetworkPlan network =
      step("plan the network", [&] { return plan_network(options, host, say); });
  Handshake handshake;
  const TerminalPlan terminal = plan_terminal(options.tty);
  MasterHandoff handoff;
  nslab::Child child = step("clone into new namespaces", [&] {
    return nslab::clone_child(
        kNamespaceFlags,
        [&] {
          // flock belongs to the open file, which the child's copy of the
          // descriptor shares: it would keep the lock held through the whole
          // container setup, until the exec closes it. Closing (never
          // LOCK_UN, which would free the parent's lock too) drops the copy.
          host.lock.reset();
          return container_main(options, network, handshake, terminal, handoff, say);
        },
        nslab::Start::kWhenReleased);
  });
  handoff.close_child_end();
  // If anything below throws, ~Child kills the waiting child.
  step(ids.newuidmap.empty() ? "write uid_map, setgroups, gid_map" : "run newuidmap, newgidmap",
       [&] { apply_id_maps(child.pid(), ids); });
  if (limits) {
    step("move the container into its cgroup", [&] { limits->join(child.pid()); });
  }
  child.release();
  handshake.ids_switched.release();
  // Declared after the child, so on every way out the pair is deleted first.
  const std::optional<nslab::net::HostEnd> host_end =
      parent_works_midway(options, network)
          ? work_midway(child, handshake, network, host, step, say)
          : std::nullopt;
  const nslab::ExitStatus status = supervise(child, signals, terminal, handoff, options);
  say.parent("the container {}", status.describe());
  if (limits && say.enabled()) {
    explain_memory_kills(*limits, say);
  }
  return status.shell_status();
}
// [parent-main]

} // namespace
} // namespace isolate

int main(int argc, char** argv) {
  return nslab::run_main("isolate", isolate::kUsage, [&] {
    isolate::Options options = isolate::parse_options(argc, argv);
    options.rootfs = isolate::resolve_rootfs(options.rootfs);
    isolate::resolve_volumes(options.volumes);
    return isolate::run(options);
  });
}
