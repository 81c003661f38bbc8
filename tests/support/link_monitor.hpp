/// \file
/// \brief Waiting for the kernel to announce a link's removal, instead of
/// looking again and again. Header-only: only the suites that link libmnl
/// (through isolate_netlink) include it.
#pragma once

#include "nslab/error.hpp"

#include <chrono>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <poll.h>
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

  /// True once the kernel announces RTM_DELLINK for \p ifindex; false after
  /// \p timeout (a bound, not the thing checked).
  bool wait_for_removal(int ifindex, std::chrono::milliseconds timeout) {
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
        if (message->nlmsg_type == RTM_DELLINK && link->ifi_index == ifindex) {
          return true;
        }
      }
    }
  }

private:
  mnl_socket* socket_;
};

} // namespace nslab::testing
