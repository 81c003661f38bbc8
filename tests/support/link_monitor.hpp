/// \file
/// \brief Waiting for the kernel to announce a link's removal, instead of
/// looking again and again. Header-only: only the suites that link libmnl
/// (through isolate_netlink) include it.
#pragma once

#include "nslab/error.hpp"

#include <chrono>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <set>
#include <string>
#include <vector>

namespace nslab::testing {

/// Listens for link announcements (the RTMGRP_LINK multicast group) in the
/// network namespace it is made in. Make it before the removal can happen:
/// an announcement made before it existed is not seen.
class LinkMonitor {
public:
  LinkMonitor() : socket_(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) {
    if (socket_ == nullptr || mnl_socket_bind(socket_, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
      throw_errno("bind", "RTMGRP_LINK");
    }
  }
  ~LinkMonitor() { mnl_socket_close(socket_); }
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  /// True once the kernel has announced RTM_DELLINK for every link in
  /// \p ifindexes; false after \p timeout (a bound, not the thing checked).
  bool wait_for_removal(std::set<int> ifindexes, std::chrono::milliseconds timeout) {
    return wait_for_removals(timeout, [&](const ifinfomsg& link, const nlmsghdr&) {
      ifindexes.erase(link.ifi_index);
      return ifindexes.empty();
    });
  }

  /// The same for the one link \p ifindex.
  bool wait_for_removal(int ifindex, std::chrono::milliseconds timeout) {
    return wait_for_removal(std::set<int>{ifindex}, timeout);
  }

  /// The same for the link called \p name, for a link that may be gone
  /// before its index could be looked up.
  bool wait_for_removal(const std::string& name, std::chrono::milliseconds timeout) {
    return wait_for_removals(timeout, [&](const ifinfomsg&, const nlmsghdr& message) {
      std::string removed;
      mnl_attr_parse(&message, sizeof(ifinfomsg), collect_name, &removed);
      return removed == name;
    });
  }

private:
  static int collect_name(const nlattr* attribute, void* data) {
    if (mnl_attr_get_type(attribute) == IFLA_IFNAME &&
        mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) >= 0) {
      *static_cast<std::string*>(data) = mnl_attr_get_str(attribute);
    }
    return MNL_CB_OK;
  }

  /// Hands every RTM_DELLINK to \p done until it returns true (then true),
  /// or until \p timeout (then false).
  template <typename Done>
  bool wait_for_removals(std::chrono::milliseconds timeout, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<char> buffer(32 * 1024);
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd readable{mnl_socket_get_fd(socket_), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) != 1) {
        return false;
      }
      const ssize_t got = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
      int length = static_cast<int>(got);
      for (auto* message = reinterpret_cast<const nlmsghdr*>(buffer.data());
           mnl_nlmsg_ok(message, length); message = mnl_nlmsg_next(message, &length)) {
        const auto* link = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message));
        if (message->nlmsg_type == RTM_DELLINK && done(*link, *message)) {
          return true;
        }
      }
    }
  }

  mnl_socket* socket_;
};

} // namespace nslab::testing
