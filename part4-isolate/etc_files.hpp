// /etc/hostname and /etc/hosts: what a distribution reads to know its own
// name and to resolve localhost, written for each container.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace isolate {

/// The text of the container's /etc/hosts: localhost for IPv4 and IPv6,
/// and \p hostname on \p address (eth0's with --net veth), else on
/// 127.0.1.1 as Debian names its own host.
[[nodiscard]] std::string hosts_text(std::string_view hostname,
                                     const std::optional<std::string>& address);

/// Child, inside the new root once its /dev/shm is mounted: puts files
/// holding \p hostname and \p hosts on /etc/hostname and /etc/hosts. A
/// file the rootfs lacks is made in the writable layer, or left out where
/// the rootfs may not be written. Throws nslab::Error.
void provide_etc_files(std::string_view hostname, std::string_view hosts);

} // namespace isolate
