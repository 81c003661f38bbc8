/// \file
/// \brief `isolate --net`: a veth pair and link-local addresses, set up by
/// talking rtnetlink through libmnl.
///
/// The parent (in the host's network namespace) chooses a free /30, creates
/// the pair with the container end born inside the child's namespace, and
/// configures the host end. The child, once released, configures its own end
/// from inside. See the \ref part4net page for the walk-through.
#pragma once

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace nslab::net {

/// A request the kernel refused, with its extended-ack message when it gave
/// one.
///
/// `what()` reads `RTM_NEWLINK(nsl1234): File exists`, followed by
/// `: <kernel message>` when the kernel explained itself (`NETLINK_EXT_ACK`).
class NetlinkError : public Error {
public:
  /// \p errnum from the kernel's answer, \p request the message type (for
  /// example `RTM_NEWLINK`), \p object what it acted on, \p kernel_message
  /// the extended-ack text (may be empty).
  NetlinkError(int errnum, std::string request, std::string object, std::string kernel_message);

  /// The kernel's extended-ack message; empty when it sent none.
  [[nodiscard]] const std::string& kernel_message() const noexcept { return kernel_message_; }
  /// The whole line, extended-ack message included.
  [[nodiscard]] const char* what() const noexcept override { return line_.c_str(); }

private:
  std::string kernel_message_;
  std::string line_;
};

/// One IPv4 address in host byte order, for example `0xa9fe0701` for 169.254.7.1.
using Ipv4 = std::uint32_t;

/// Formats \p address as dotted decimal: `169.254.7.1`.
[[nodiscard]] std::string format_ipv4(Ipv4 address);

/// The network namespace a new link is born in, named the two ways
/// rtnetlink accepts.
class TargetNetns {
public:
  /// The namespace that process \p pid is in (`IFLA_NET_NS_PID`).
  [[nodiscard]] static TargetNetns of_process(pid_t pid) noexcept { return {false, pid}; }
  /// The namespace an open `/proc/PID/ns/net` (or bind mount of it) refers to
  /// (`IFLA_NET_NS_FD`). Holding that descriptor keeps the namespace, and
  /// so the pair, alive.
  [[nodiscard]] static TargetNetns from_fd(int netns_fd) noexcept { return {true, netns_fd}; }

  /// True when named by a descriptor, false when named by a pid.
  [[nodiscard]] bool by_fd() const noexcept { return by_fd_; }
  /// The pid or the descriptor.
  [[nodiscard]] int value() const noexcept { return value_; }

private:
  TargetNetns(bool by_fd, int value) noexcept : by_fd_(by_fd), value_(value) {}
  bool by_fd_;
  int value_;
};

/// An IPv4 address that an interface holds, as an RTM_GETADDR dump lists it.
struct InterfaceAddress {
  Ipv4 address = 0;      ///< The interface's own address.
  int prefix_length = 0; ///< The length of its subnet's prefix.
  std::string label;     ///< Usually the interface's name, for example `eth0`.
};

/// One NETLINK_ROUTE socket, opened once and reused for every request.
///
/// Every request asks for an acknowledgement (`NLM_F_ACK`) and waits for it,
/// so a failure is reported by the step that caused it. The socket belongs
/// to the network namespace of the thread that created it, for its whole
/// life: create it where the links are.
class RouteSocket {
public:
  /// Opens and binds the socket (close-on-exec) and turns on extended acks.
  /// Throws nslab::Error on failure.
  RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;
  /// Closes the socket.
  ~RouteSocket();

  /// True when this process may change links here (`CAP_NET_ADMIN` over the
  /// namespace). Without `CAP_NET_ADMIN` at all (capget(2)) it answers
  /// false at once; with it, it asks the kernel to change nothing on `lo`,
  /// which passes the same permission check as any real change.
  [[nodiscard]] bool can_administer_links();

  /// The index of the link called \p name (RTM_GETLINK).
  [[nodiscard]] int link_index(std::string_view name);

  /// Sets the link with index \p ifindex administratively up (RTM_SETLINK).
  void set_link_up(int ifindex);
  /// Sets the link called \p name administratively up (RTM_SETLINK).
  void set_link_up(std::string_view name);

  /// Creates a veth pair (RTM_NEWLINK): \p host_name here and \p peer_name
  /// directly inside \p peer_netns, so the container's end never exists on
  /// the host. Both ends start down. Fails with EEXIST if \p host_name is
  /// taken. Returns the index of the end called \p host_name.
  int create_veth_pair(std::string_view host_name, std::string_view peer_name,
                       TargetNetns peer_netns);

  /// Deletes link \p ifindex (RTM_DELLINK); for a veth, its peer goes too.
  void delete_link(int ifindex);

  /// True while something still holds the network namespace that the peer
  /// of veth \p ifindex is in; false once nothing does (the kernel is then
  /// about to delete the pair itself) or when the pair is gone already.
  [[nodiscard]] bool peer_namespace_alive(int ifindex);

  /// Assigns \p address/\p prefix_length to link \p ifindex (RTM_NEWADDR).
  void add_ipv4_address(int ifindex, Ipv4 address, int prefix_length);

  /// Every IPv4 address on every link here, in one dump (RTM_GETADDR).
  [[nodiscard]] std::vector<InterfaceAddress> ipv4_addresses();

private:
  using ReplyHandler = std::function<void(const nlmsghdr&)>;
  nlmsghdr& start_request(std::uint16_t type, std::uint16_t flags);
  int transact(std::string_view request, const ReplyHandler& on_reply, std::string& kernel_message);
  void exchange(std::string_view request, std::string_view object,
                const ReplyHandler& on_reply = {});

  mnl_socket* socket_ = nullptr;
  unsigned port_id_ = 0;
  unsigned sequence_ = 0;
  std::vector<char> buffer_;
};

/// One /30 inside link-local 169.254.0.0/16: the host end gets its first
/// usable address (.1 of the four) and the container end the second (.2).
class Subnet {
public:
  /// The length of every subnet's prefix: two usable addresses, one per end.
  static constexpr int kPrefixLength = 30;

  /// The /30 that contains \p any_address.
  explicit Subnet(Ipv4 any_address) noexcept : network_(any_address & ~Ipv4{3}) {}

  /// Its network address, for example 169.254.7.4.
  [[nodiscard]] Ipv4 network() const noexcept { return network_; }
  /// The address of the host's end, for example 169.254.7.5.
  [[nodiscard]] Ipv4 host_address() const noexcept { return network_ + 1; }
  /// The address of the container's end, for example 169.254.7.6.
  [[nodiscard]] Ipv4 container_address() const noexcept { return network_ + 2; }
  /// CIDR form: `169.254.7.4/30`.
  [[nodiscard]] std::string to_string() const;

  /// True when \p used (an address and its prefix) shares any address with
  /// this subnet.
  [[nodiscard]] bool overlaps(const InterfaceAddress& used) const noexcept;

  /// Two subnets are equal when their networks are.
  friend bool operator==(const Subnet&, const Subnet&) = default;

private:
  Ipv4 network_;
};

/// Parses the `--ip A.B.C.D/30` argument. Any address inside the /30 names
/// it. Throws UsageError unless it is a /30 inside 169.254.0.0/16 and
/// outside the reserved parts (see reserved_reason()).
[[nodiscard]] Subnet parse_subnet(std::string_view text);

/// Why \p subnet must not be used (for example the cloud metadata service),
/// or nothing when it may.
[[nodiscard]] std::optional<std::string_view> reserved_reason(Subnet subnet) noexcept;

/// The first /30 that is neither reserved nor overlaps an address in
/// \p in_use, searching from a starting point derived from \p seed (use the
/// pid) and wrapping around. Neighbouring seeds start far apart, so
/// instances started together rarely compete. Nothing when all are taken.
[[nodiscard]] std::optional<Subnet> first_free_subnet(std::span<const InterfaceAddress> in_use,
                                                      unsigned seed) noexcept;

/// A free /30 for a new instance: one dump of the addresses here, then
/// first_free_subnet(). Throws nslab::Error when none is free.
[[nodiscard]] Subnet choose_free_subnet(RouteSocket& route, unsigned seed);

/// Throws nslab::Error, naming the interface, when an address here
/// overlaps \p subnet (for `--ip`, which must not reuse a subnet).
void ensure_subnet_free(RouteSocket& route, Subnet subnet);

// [subnet-lock-decl]
/// Makes "find a free /30, then give it to a host end" one step among all
/// isolate instances on this machine.
///
/// The address dump happens before clone(2) and the host end gets its
/// address only after it, so two instances could otherwise both see the
/// same /30 free and both take it; the kernel allows one address on two
/// links. The lock is flock(2) on the file kFileName in kDirectory, which
/// only root may create, open or lock: an ordinary user cannot take it and
/// so cannot hold up root's `--net veth`. The kernel drops the lock when
/// its holder dies, also by SIGKILL. The directory and the empty file stay,
/// like the files in `/run/lock`.
class SubnetLock {
public:
  /// Where isolate's lock lives; root's, and gone at the next boot.
  static constexpr std::string_view kDirectory = "/run/nslab";
  /// The lock file's name inside the directory.
  static constexpr std::string_view kFileName = "isolate-subnets.lock";
  /// How long isolate waits for another instance's lock by default. The
  /// lock is normally held for a few milliseconds.
  static constexpr std::chrono::milliseconds kPatience{5000};

  /// Takes the lock on kFileName in \p directory (made if missing), retrying
  /// every millisecond or so for up to \p patience; then throws
  /// nslab::Error. Also throws nslab::Error when the directory or the file
  /// is not a directory or regular file that only root controls, or when
  /// one cannot be made or opened.
  explicit SubnetLock(std::chrono::milliseconds patience = kPatience,
                      std::string_view directory = kDirectory);

  /// Closes this process's descriptor; destroying the object does the same.
  /// The lock is free once no process holds a copy of the descriptor.
  void release() noexcept { file_.reset(); }

private:
  UniqueFd file_;
};
// [subnet-lock-decl]

/// The name of the container's end of the pair.
inline constexpr std::string_view kContainerLinkName = "eth0";

/// The host end's name for the instance whose child has pid \p child_pid:
/// `nsl` + the pid, unique while the child lives and at most 15 characters
/// (IFNAMSIZ - 1) for any pid.
[[nodiscard]] std::string host_link_name(pid_t child_pid);

/// The host's end of a veth pair, which sees to it that the pair goes.
///
/// The kernel removes the pair by itself once nothing holds the container's
/// network namespace any more, asynchronously, some milliseconds after its
/// last process left. Deleting the pair ourselves costs about 30 ms of
/// waiting in the kernel, so when destroyed, this object deletes it only
/// while the namespace lives on: after a failure during setup (the container
/// still waits), or when another process holds the namespace open. After a
/// normal exit, and after SIGKILL, the kernel's clean-up does it.
class HostEnd {
public:
  /// Takes charge of the link \p name with index \p index, reached through
  /// \p route (which must outlive this object).
  HostEnd(RouteSocket& route, std::string name, int index) noexcept
      : route_(&route), name_(std::move(name)), index_(index) {}
  HostEnd(const HostEnd&) = delete;
  HostEnd& operator=(const HostEnd&) = delete;
  /// Moves the duty to delete; \p other is left with none.
  HostEnd(HostEnd&& other) noexcept
      : route_(other.route_), name_(std::move(other.name_)),
        index_(std::exchange(other.index_, 0)) {}
  HostEnd& operator=(HostEnd&&) = delete;
  /// Deletes the pair if its namespace lives on (see above); a pair already
  /// gone with its namespace is fine.
  ~HostEnd();

  /// The link's name, for example `nsl1234`.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// The link's index in the host's namespace.
  [[nodiscard]] int index() const noexcept { return index_; }

private:
  RouteSocket* route_;
  std::string name_;
  int index_;
};

/// Parent side, in the host's namespace, while the child waits: creates the
/// pair (host end host_link_name(), `eth0` in the child's namespace), gives
/// the host end subnet.host_address() and sets it up. If a step fails, the
/// pair is deleted before the error propagates.
[[nodiscard]] HostEnd set_up_host_end(RouteSocket& route, pid_t child_pid, Subnet subnet);

/// Child side, inside its new namespace: sets `lo` up. Through ioctl(2),
/// like set_up_container_end().
void set_up_loopback();

/// Child side, inside its new namespace, after set_up_host_end(): gives
/// `eth0` subnet.container_address() and sets it up (set_up_loopback() has
/// set `lo` up). No default route is added: the container reaches only the
/// host end. Through ioctl(2) on a datagram socket rather than rtnetlink, so
/// that nothing of it holds the namespace once the container's processes
/// are gone.
void set_up_container_end(Subnet subnet);

/// The network namespace of the calling thread, as a descriptor for
/// setns(2). Asked of a socket made here (`SIOCGSKNS`), not opened from
/// /proc, which another thread may be remounting at that moment.
[[nodiscard]] UniqueFd current_network_namespace();

} // namespace nslab::net
