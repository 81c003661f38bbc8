// Tests for part4-isolate/netlink: the rtnetlink module behind `isolate --net veth`.
//
// The host's network namespace is never touched. Each test that makes links
// runs in a "sandbox": a child process in a network namespace of its own
// (inside a new user namespace when the test is not root, like `unshare
// -Urn`), where it can create links freely. A "container" is a grandchild in
// yet another network namespace, waiting on a gate like isolate's
// child. What the module did is observed with iproute2 (`ip`, and `nsenter
// -n ip` for the container's side), not with the module itself.

#include "netlink.hpp"

#include "gated_child.hpp"
#include "harness.hpp"
#include "link_monitor.hpp"
#include "nslab/child.hpp"
#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"
#include "why.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using nslab::testing::Command;
using nslab::testing::in_quotes;
using nslab::testing::LinkMonitor;
using nslab::testing::Result;
using nslab::testing::why;
namespace net = nslab::net;

constexpr net::Ipv4 ipv4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// ---------------------------------------------------------------------------
// Sandboxes and containers.

/// Enters a new network namespace with CAP_NET_ADMIN over it: directly when
/// allowed, otherwise inside a new user namespace that maps our own ids.
void enter_sandbox() {
  if (::unshare(CLONE_NEWNET) == 0) {
    return;
  }
  if (!nslab::testing::enter_user_namespace(nslab::testing::UserNamespaceMaps())) {
    nslab::throw_errno("unshare", "CLONE_NEWUSER");
  }
  nslab::check(::unshare(CLONE_NEWNET), "unshare", "CLONE_NEWNET");
}

/// The sentence of the child's first failure: its `Why:` line (and the
/// lines under it), else GoogleTest's own first line.
std::string first_failure_in_this_process() {
  const ::testing::TestResult& result =
      *::testing::UnitTest::GetInstance()->current_test_info()->result();
  for (int i = 0; i < result.total_part_count(); ++i) {
    if (!result.GetTestPartResult(i).failed()) {
      continue;
    }
    const std::string message = result.GetTestPartResult(i).message();
    const std::size_t at = message.find("Why: ");
    return at == std::string::npos ? message.substr(0, message.find('\n')) : message.substr(at + 5);
  }
  return "";
}

/// Runs \p body in a child process inside a sandbox. GoogleTest prints the
/// child's failures as they happen; the first one's sentence comes back
/// over a pipe, to be this check's reason.
void in_sandbox(const std::function<void()>& body) {
  nslab::Pipe failure = nslab::make_pipe();
  nslab::Child sandbox = nslab::clone_child(0, [&] {
    try {
      enter_sandbox();
      body();
    } catch (const std::exception& error) {
      ADD_FAILURE() << why(fmt::format("the sandbox stopped: {}", error.what()));
    }
    std::fflush(stdout);
    const std::string sentence = first_failure_in_this_process();
    (void)!::write(failure.write_end.get(), sentence.data(), sentence.size());
    return ::testing::Test::HasFailure() ? 1 : 0;
  });
  failure.write_end.reset();
  const auto status = sandbox.wait_for(30s);
  ASSERT_TRUE(status.has_value()) << why("the sandbox did not finish within 30 s");
  char sentence[4096];
  const ssize_t got = ::read(failure.read_end.get(), sentence, sizeof sentence);
  EXPECT_EQ(*status, nslab::ExitStatus::exited(0))
      << why(got > 0 ? std::string(sentence, static_cast<std::size_t>(got))
                     : std::string("the sandbox failed without a report"));
}

/// A process in a network namespace of its own, like isolate's child: it
/// waits until released, runs its step, reports, and stays alive (keeping its
/// namespace) until stopped.
class Container : public nslab::testing::GatedChild {
public:
  explicit Container(std::function<void()> inside = {})
      : GatedChild(CLONE_NEWNET, std::move(inside)) {}
};

/// Runs \p argv here, as this process (already root in the sandbox).
Result run_here(std::vector<std::string> argv) {
  Command command(std::move(argv));
  command.root_in_user_namespace = false;
  return nslab::testing::run(command);
}

/// Runs iproute2's `ip ARGS` here (in the sandbox) and returns its stdout.
std::string ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  const Result result = run_here(argv);
  EXPECT_EQ(result.code(), 0) << exited(result, 0);
  return result.out;
}

/// The words that run ARGS in the network namespace of \p container.
std::vector<std::string> inside(const Container& container, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"nsenter", "-t", std::to_string(container.pid()), "-n"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

/// Runs `ip ARGS` in the network namespace of \p container.
std::string ip_inside(const Container& container, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  const Result result = run_here(inside(container, argv));
  EXPECT_EQ(result.code(), 0) << exited(result, 0);
  return result.out;
}

std::string inet(net::Ipv4 address) {
  return fmt::format("inet {}/30 ", net::format_ipv4(address));
}

// ---------------------------------------------------------------------------
// --ip parsing and the choice of a free /30 (no namespaces needed).

TEST(SubnetParsing, AnyAddressInsideTheSubnetNamesIt) {
  const net::Subnet subnet = net::parse_subnet("169.254.7.6/30");
  EXPECT_EQ(subnet.to_string(), "169.254.7.4/30");
  EXPECT_EQ(net::format_ipv4(subnet.host_address()), "169.254.7.5");
  EXPECT_EQ(net::format_ipv4(subnet.container_address()), "169.254.7.6");
  EXPECT_EQ(net::parse_subnet("169.254.7.4/30"), subnet);
}

TEST(SubnetParsing, RejectsAnythingButALinkLocal30) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"10.0.0.1/30", "not inside link-local"},  {"192.168.1.1/30", "not inside link-local"},
      {"169.254.1.1/24", "must be /30"},         {"169.254.1.1/31", "must be /30"},
      {"169.254.1.1/30x", "must be /30"},        {"169.254.1.1", "expected A.B.C.D/30"},
      {"garbage", "expected A.B.C.D/30"},        {"169.254.1/30", "expected A.B.C.D/30"},
      {"256.254.1.1/30", "expected A.B.C.D/30"}, {"", "expected A.B.C.D/30"},
      {"169.254.169.254/30", "metadata"},        {"169.254.0.1/30", "RFC 3927"},
      {"169.254.255.253/30", "RFC 3927"},
  };
  for (const auto& [text, reason] : cases) {
    try {
      (void)net::parse_subnet(text);
      ADD_FAILURE() << "'" << text << "' was accepted";
    } catch (const nslab::UsageError& error) {
      EXPECT_NE(std::string_view(error.what()).find(reason), std::string_view::npos)
          << "'" << text << "' gave: " << error.what();
    }
  }
}

TEST(FreeSubnet, SkipsASubnetInUseAndIsDeterministic) {
  const unsigned seed = 4242;
  const auto first = net::first_free_subnet({}, seed);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(net::first_free_subnet({}, seed), first) << why("same seed, same choice");

  const net::InterfaceAddress used{first->container_address(), 30, "eth9"};
  const auto second = net::first_free_subnet(std::span(&used, 1), seed);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(*second, *first);
  EXPECT_FALSE(second->overlaps(used));

  // A wider prefix around it blocks the whole range it covers.
  const net::InterfaceAddress wide{ipv4(169, 254, 3, 3), 16, "eth9"};
  EXPECT_EQ(net::first_free_subnet(std::span(&wide, 1), seed), std::nullopt);
}

TEST(FreeSubnet, NeighbouringSeedsStartFarApartAndAvoidReservedRanges) {
  const auto a = net::first_free_subnet({}, 1000);
  const auto b = net::first_free_subnet({}, 1001);
  ASSERT_TRUE(a && b);
  const auto distance =
      a->network() > b->network() ? a->network() - b->network() : b->network() - a->network();
  EXPECT_GT(distance, 256U) << a->to_string() << " vs " << b->to_string();
  for (unsigned seed = 0; seed < 16384; ++seed) {
    const auto subnet = net::first_free_subnet({}, seed);
    ASSERT_TRUE(subnet.has_value());
    ASSERT_EQ(subnet->network() & 0xffff0000, ipv4(169, 254, 0, 0)) << subnet->to_string();
    const unsigned third_octet = (subnet->network() >> 8) & 0xff;
    ASSERT_NE(third_octet, 0U) << subnet->to_string();
    ASSERT_NE(third_octet, 169U) << subnet->to_string();
    ASSERT_NE(third_octet, 255U) << subnet->to_string();
  }
}

TEST(HostLinkName, FitsInIfnamsizForAnyPid) {
  EXPECT_EQ(net::host_link_name(4194304), "nsl4194304");
  EXPECT_LE(net::host_link_name(4194304).size(), 15U);
}

// ---------------------------------------------------------------------------
// Links, inside sandboxes.

TEST(VethPair, PeerIsBornInsideTheContainerAsEth0) {
  in_sandbox([] {
    Container container;
    net::RouteSocket route;
    const std::string name = net::host_link_name(container.pid());
    const int index =
        route.create_veth_pair(name, "eth0", net::TargetNetns::of_process(container.pid()));

    const std::string here = ip({"-d", "-o", "link", "show"});
    EXPECT_NE(here.find(fmt::format("{}: {}@", index, name)), std::string::npos)
        << why(fmt::format("the host end {} is not link {} on the host side, as create_veth_pair "
                           "returned",
                           name, index));
    EXPECT_NE(here.find("veth"), std::string::npos) << why("the link made is not a veth");
    EXPECT_EQ(here.find("eth0"), std::string::npos)
        << why("the peer eth0 was born on the host side, not in the container");
    const std::string inside = ip_inside(container, {"-o", "link", "show"});
    EXPECT_NE(inside.find(fmt::format("eth0@if{}:", index)), std::string::npos) << why(
        fmt::format("the container has no eth0 paired with link {}: {}", index, in_quotes(inside)));
  });
}

TEST(VethPair, PeerNamespaceCanBeGivenAsADescriptor) {
  in_sandbox([] {
    Container container;
    const nslab::UniqueFd netns(
        ::open(fmt::format("/proc/{}/ns/net", container.pid()).c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(netns.valid()) << why("the test could not open the container's netns");
    net::RouteSocket route;
    route.create_veth_pair("nsl-fd", "eth0", net::TargetNetns::from_fd(netns.get()));
    EXPECT_NE(ip_inside(container, {"-o", "link"}).find("eth0@if"), std::string::npos)
        << why("given the namespace as a descriptor (IFLA_NET_NS_FD), the peer eth0 is not in "
               "the container");
  });
}

TEST(VethPair, BothEndsGetTheirAddressAndComeUpWithoutADefaultRoute) {
  in_sandbox([] {
    net::RouteSocket route;
    const net::Subnet subnet = net::choose_free_subnet(route, static_cast<unsigned>(::getpid()));
    Container container([subnet] {
      net::set_up_loopback();
      net::set_up_container_end(subnet);
    });
    const net::HostEnd host_end = net::set_up_host_end(route, container.pid(), subnet);
    const std::string& name = host_end.name();
    const std::string report = container.release();
    ASSERT_EQ(report, "ok") << why("setting up the container's end failed: " + report);

    EXPECT_NE(ip({"-o", "-4", "addr", "show", "dev", name}).find(inet(subnet.host_address())),
              std::string::npos)
        << why(fmt::format("the host end has not {}", inet(subnet.host_address())));
    EXPECT_NE(ip({"-o", "link", "show", "dev", name}).find("state UP"), std::string::npos)
        << why("the host end is not up");
    const std::string addresses = ip_inside(container, {"-o", "-4", "addr", "show", "dev", "eth0"});
    EXPECT_NE(addresses.find(inet(subnet.container_address())), std::string::npos)
        << why(fmt::format("the container's eth0 has not {}", inet(subnet.container_address())));
    EXPECT_NE(ip_inside(container, {"-o", "link", "show", "dev", "eth0"}).find("state UP"),
              std::string::npos)
        << why("the container's eth0 is not up");
    const std::string loopback = ip_inside(container, {"-o", "link", "show", "dev", "lo"});
    EXPECT_NE(loopback.find(",UP,LOWER_UP>"), std::string::npos)
        << why("the container's lo is not up");
    const std::string routes = ip_inside(container, {"-4", "route", "show", "table", "all"});
    EXPECT_EQ(routes.find("default"), std::string::npos)
        << why("the container has a default route");

    const Result pinged = run_here(inside(container, {"busybox", "ping", "-c", "1", "-W", "5",
                                                      net::format_ipv4(subnet.host_address())}));
    EXPECT_EQ(pinged.code(), 0) << exited(pinged, 0);
  });
}

TEST(VethPair, HostEndDisappearsWithTheContainersNamespace) {
  in_sandbox([] {
    Container container;
    net::RouteSocket route;
    LinkMonitor monitor;
    const std::string name = net::host_link_name(container.pid());
    const int index =
        route.create_veth_pair(name, "eth0", net::TargetNetns::of_process(container.pid()));
    container.stop(); // as if isolate and its child were killed right after the create
    EXPECT_TRUE(monitor.wait_for_removal(index, 5s))
        << why(fmt::format("the kernel did not delete {} with the container's namespace", name));
    EXPECT_EQ(ip({"-o", "link"}).find(name), std::string::npos)
        << why(fmt::format("{} outlived the container's namespace", name));
  });
}

TEST(VethPair, HostEndDeletesThePairAtOnceWhenDestroyed) {
  in_sandbox([] {
    Container container;
    net::RouteSocket route;
    const net::Subnet subnet = net::parse_subnet("169.254.7.4/30");
    std::string name;
    {
      const net::HostEnd host_end = net::set_up_host_end(route, container.pid(), subnet);
      name = host_end.name();
      ASSERT_NE(ip({"-o", "link"}).find(name), std::string::npos)
          << why(fmt::format("set_up_host_end made no {}", name));
    }
    // No waiting: the kernel's own clean-up is asynchronous, this is not.
    EXPECT_EQ(ip({"-o", "link"}).find(name), std::string::npos)
        << why(fmt::format("{} outlived its HostEnd", name));
    EXPECT_EQ(ip_inside(container, {"-o", "link"}).find("eth0"), std::string::npos)
        << why("the container's eth0 outlived the HostEnd");
  });
}

// Another process holding the namespace open keeps it, and the pair, alive
// after the container's last process: then HostEnd must delete the pair.
TEST(VethPair, HostEndDeletesThePairWhenAnotherProcessHoldsTheNamespace) {
  in_sandbox([] {
    Container container;
    net::RouteSocket route;
    std::string name;
    {
      const nslab::UniqueFd holder(nslab::check(
          ::open(fmt::format("/proc/{}/ns/net", container.pid()).c_str(), O_RDONLY | O_CLOEXEC),
          "open", "the container's netns"));
      const net::HostEnd host_end =
          net::set_up_host_end(route, container.pid(), net::parse_subnet("169.254.7.4/30"));
      name = host_end.name();
      container.stop(); // its last process is gone; the holder keeps the namespace
    }                   // ~HostEnd here, before the holder closes
    // No waiting: with the namespace held, only HostEnd could have deleted it.
    EXPECT_EQ(ip({"-o", "link"}).find(name), std::string::npos)
        << why(fmt::format("{} was left while another process held the namespace", name));
  });
}

TEST(VethPair, PeerNamespaceIsAliveWhileAnythingHoldsIt) {
  in_sandbox([] {
    Container container;
    net::RouteSocket route;
    const int index =
        route.create_veth_pair("nsl-alive", "eth0", net::TargetNetns::of_process(container.pid()));
    EXPECT_TRUE(route.peer_namespace_alive(index))
        << why("the peer namespace is not alive with the container running");
    nslab::UniqueFd holder(nslab::check(
        ::open(fmt::format("/proc/{}/ns/net", container.pid()).c_str(), O_RDONLY | O_CLOEXEC),
        "open", "the container's netns"));
    container.stop();
    EXPECT_TRUE(route.peer_namespace_alive(index))
        << why("the peer namespace is not alive while held open");
    holder.reset();
    // The kernel may or may not have deleted the pair yet: dying either way.
    EXPECT_FALSE(route.peer_namespace_alive(index))
        << why("the peer namespace is alive with nothing holding it");
  });
}

TEST(VethPair, HostEndToleratesAPairTheKernelRemovedFirst) {
  in_sandbox([] {
    Container container;
    net::RouteSocket route;
    LinkMonitor monitor;
    const net::HostEnd host_end =
        net::set_up_host_end(route, container.pid(), net::parse_subnet("169.254.7.4/30"));
    container.stop();
    EXPECT_TRUE(monitor.wait_for_removal(host_end.index(), 5s))
        << why("the kernel did not remove the pair with the container's namespace");
  }); // ~HostEnd gets ENODEV here, and must neither throw nor abort
}

TEST(Loopback, IsDownInANewNamespaceUntilSetUp) {
  in_sandbox([] {
    Container untouched;
    Container configured([] { net::set_up_loopback(); });
    ASSERT_EQ(configured.release(), "ok");
    EXPECT_NE(ip_inside(untouched, {"-o", "link", "show", "lo"}).find("state DOWN"),
              std::string::npos);
    EXPECT_NE(ip_inside(configured, {"-o", "link", "show", "lo"}).find(",UP,LOWER_UP>"),
              std::string::npos);
  });
}

// ---------------------------------------------------------------------------
// Errors.

TEST(NetlinkErrors, NameTheRequestTheObjectAndTheErrno) {
  in_sandbox([] {
    Container container;
    net::RouteSocket route;
    route.create_veth_pair("nsl-twice", "eth0", net::TargetNetns::of_process(container.pid()));
    try {
      route.create_veth_pair("nsl-twice", "eth1", net::TargetNetns::of_process(container.pid()));
      ADD_FAILURE() << "creating the same name twice succeeded";
    } catch (const net::NetlinkError& error) {
      EXPECT_EQ(error.code().value(), EEXIST);
      EXPECT_TRUE(std::string_view(error.what()).starts_with("RTM_NEWLINK(nsl-twice): File exists"))
          << error.what();
    }
    EXPECT_THROW((void)route.link_index("nsl-missing"), net::NetlinkError);
  });
}

TEST(NetlinkErrors, CarryTheKernelsExtendedAckMessage) {
  in_sandbox([] {
    net::RouteSocket route;
    try {
      route.add_ipv4_address(route.link_index("lo"), ipv4(169, 254, 7, 5), 33);
      ADD_FAILURE() << "a /33 was accepted";
    } catch (const net::NetlinkError& error) {
      EXPECT_EQ(error.code().value(), EINVAL);
      EXPECT_FALSE(error.kernel_message().empty()) << error.what();
      EXPECT_TRUE(std::string_view(error.what()).ends_with(": " + error.kernel_message()))
          << error.what();
    }
  });
}

TEST(FreeSubnet, ChoiceAndCheckSeeAddressesAlreadyAssigned) {
  in_sandbox([] {
    net::RouteSocket route;
    const unsigned seed = static_cast<unsigned>(::getpid());
    const auto wanted = net::first_free_subnet({}, seed);
    ASSERT_TRUE(wanted.has_value());
    EXPECT_NO_THROW(net::ensure_subnet_free(route, *wanted));
    ip({"addr", "add", fmt::format("{}/30", net::format_ipv4(wanted->host_address())), "dev",
        "lo"});

    EXPECT_NE(net::choose_free_subnet(route, seed), *wanted);
    try {
      net::ensure_subnet_free(route, *wanted);
      ADD_FAILURE() << wanted->to_string() << " was called free";
    } catch (const nslab::Error& error) {
      EXPECT_NE(std::string_view(error.what()).find("already in use"), std::string_view::npos)
          << error.what();
      EXPECT_NE(std::string_view(error.what()).find(" on lo"), std::string_view::npos)
          << error.what();
    }
  });
}

// ---------------------------------------------------------------------------
// The lock around choosing a /30: flock(2) on a file only root controls.
// Each test passes a directory of its own, never the real /run/nslab, so a
// real isolate's lock is never in the way. In a sandbox made by an ordinary
// user, that user is root, and so owns the temporary directory.

/// The lock directory inside \p temp, not made yet: SubnetLock makes it.
std::string lock_directory(const nslab::testing::TempDir& temp) { return temp.path() + "/nslab"; }

std::string lock_file(const nslab::testing::TempDir& temp) {
  return fmt::format("{}/{}", lock_directory(temp), net::SubnetLock::kFileName);
}

TEST(SubnetLock, IsHeldByOneAtATimeAndFreeAgainOnceReleased) {
  const nslab::testing::TempDir temp;
  in_sandbox([&] {
    std::optional<net::SubnetLock> first(std::in_place, 0ms, lock_directory(temp));
    try {
      const net::SubnetLock second(50ms, lock_directory(temp));
      ADD_FAILURE() << "two holders at once";
    } catch (const nslab::Error& error) {
      EXPECT_NE(std::string_view(error.what()).find("another isolate has been choosing its /30"),
                std::string_view::npos)
          << error.what();
    }
    first->release();
    EXPECT_NO_THROW(net::SubnetLock(0ms, lock_directory(temp)))
        << why("still held after release()");
  });
}

TEST(SubnetLock, IsFreeAgainWhenItsHolderIsKilled) {
  const nslab::testing::TempDir temp;
  in_sandbox([&] {
    nslab::Pipe held = nslab::make_pipe();
    nslab::Child holder = nslab::clone_child(0, [&] {
      const net::SubnetLock lock(0ms, lock_directory(temp));
      (void)!::write(held.write_end.get(), "x", 1);
      while (true) {
        ::pause(); // holds the lock until killed
      }
      return 0;
    });
    held.write_end.reset();
    char byte = 0;
    ASSERT_EQ(::read(held.read_end.get(), &byte, 1), 1) << why("the holder never took the lock");
    EXPECT_THROW(net::SubnetLock(50ms, lock_directory(temp)), nslab::Error);
    holder.kill_and_wait(); // like a SIGKILLed isolate: no clean-up code runs
    EXPECT_NO_THROW(net::SubnetLock(0ms, lock_directory(temp)))
        << why("the lock outlived its holder");
  });
}

TEST(SubnetLock, LeavesADirectoryAndAFileOnlyRootMayWrite) {
  const nslab::testing::TempDir temp;
  in_sandbox([&] { const net::SubnetLock lock(0ms, lock_directory(temp)); });
  struct stat directory {};
  struct stat file {};
  ASSERT_EQ(::lstat(lock_directory(temp).c_str(), &directory), 0) << std::strerror(errno);
  ASSERT_EQ(::lstat(lock_file(temp).c_str(), &file), 0) << std::strerror(errno);
  EXPECT_TRUE(S_ISDIR(directory.st_mode));
  EXPECT_EQ(directory.st_mode & 022, 0u) << std::oct << directory.st_mode;
  EXPECT_TRUE(S_ISREG(file.st_mode));
  EXPECT_EQ(file.st_mode & 077, 0u)
      << "others could open, and so lock, it: " << std::oct << file.st_mode;
}

/// One way an ordinary user could have prepared the lock's directory or
/// file before root's isolate ran, had they been able to write there.
struct PlantedLock {
  const char* what;
  std::function<void(const nslab::testing::TempDir&)> plant;
};

void make_directory(const std::string& path, mode_t mode) {
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0) << path << ": " << std::strerror(errno);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path << ": " << std::strerror(errno); // past umask
}

void make_file(const std::string& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  ::close(fd);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path << ": " << std::strerror(errno);
}

const PlantedLock kPlantedLocks[] = {
    {"a directory others may write",
     [](const nslab::testing::TempDir& temp) { make_directory(lock_directory(temp), 0777); }},
    {"a directory that is a symlink",
     [](const nslab::testing::TempDir& temp) {
       make_directory(temp.path() + "/elsewhere", 0755);
       ASSERT_EQ(::symlink("elsewhere", lock_directory(temp).c_str()), 0);
     }},
    {"a lock file that is a symlink",
     [](const nslab::testing::TempDir& temp) {
       make_directory(lock_directory(temp), 0755);
       ASSERT_EQ(::symlink("../target", lock_file(temp).c_str()), 0);
     }},
    {"a lock file others may read",
     [](const nslab::testing::TempDir& temp) {
       make_directory(lock_directory(temp), 0755);
       make_file(lock_file(temp), 0644);
     }},
    {"a FIFO in the lock file's place",
     [](const nslab::testing::TempDir& temp) {
       make_directory(lock_directory(temp), 0755);
       ASSERT_EQ(::mkfifo(lock_file(temp).c_str(), 0600), 0);
     }},
    {"a lock directory in the lock file's place",
     [](const nslab::testing::TempDir& temp) {
       make_directory(lock_directory(temp), 0755);
       make_directory(lock_file(temp), 0700);
     }},
};

TEST(SubnetLock, RefusesWhatAnyoneButRootCouldHavePlanted) {
  for (const PlantedLock& planted : kPlantedLocks) {
    SCOPED_TRACE(planted.what);
    const nslab::testing::TempDir temp;
    in_sandbox([&] {
      planted.plant(temp);
      EXPECT_THROW(net::SubnetLock(0ms, lock_directory(temp)), std::exception);
    });
    // Nothing was made through a symlink.
    EXPECT_FALSE(std::filesystem::exists(temp.path() + "/target"));
    EXPECT_FALSE(std::filesystem::exists(temp.path() + "/elsewhere/" +
                                         std::string(net::SubnetLock::kFileName)));
  }
}

/// Owned by someone else: needs root, to give a file away. Not to nobody,
/// who may be running the suite and would then own it already.
TEST(SubnetLock, RefusesADirectoryOrFileOwnedByAnotherUser) {
  constexpr uid_t kDaemon = 1;
  for (const bool directory_given_away : {true, false}) {
    const nslab::testing::TempDir temp;
    make_directory(lock_directory(temp), 0755);
    make_file(lock_file(temp), 0600);
    const std::string given_away = directory_given_away ? lock_directory(temp) : lock_file(temp);
    if (::chown(given_away.c_str(), kDaemon, kDaemon) != 0) {
      GTEST_SKIP() << "needs root, to give a file to daemon: " << std::strerror(errno);
    }
    try {
      const net::SubnetLock lock(0ms, lock_directory(temp));
      ADD_FAILURE() << given_away << ", nobody's, was used";
    } catch (const nslab::Error& error) {
      const std::string_view kind = directory_given_away ? "directory" : "regular file";
      EXPECT_EQ(std::string(error.what()),
                fmt::format("subnet lock {}: refused: it is a {} owned by uid 1 with mode {}, "
                            "not a {} owned by root that only root can {}; remove it",
                            given_away, kind, directory_given_away ? "755" : "600", kind,
                            directory_given_away ? "write" : "open"));
    }
  }
}

TEST(RouteSocket, PermissionToAdministerLinksIsFoundByTrying) {
  in_sandbox([] {
    net::RouteSocket route;
    EXPECT_TRUE(route.can_administer_links());
    // A new user namespace has every capability, but only over namespaces it
    // owns: the sandbox's network namespace is not one of them.
    nslab::Child outsider = nslab::clone_child(CLONE_NEWUSER, [] {
      net::RouteSocket socket;
      return socket.can_administer_links() ? 1 : 0;
    });
    EXPECT_EQ(outsider.wait(), nslab::ExitStatus::exited(0));
  });
}

} // namespace
