#include "gated_child.hpp"

#include <cstddef>
#include <exception>
#include <poll.h>
#include <unistd.h>

namespace nslab::testing {

GatedChild::GatedChild(int namespaces, std::function<void()> step)
    : report_(make_pipe()), child_(clone_child(namespaces, [this, step] { return main(step); })) {
  report_.write_end.reset();
}

std::string GatedChild::release() {
  gate_.open();
  std::string report;
  pollfd readable{report_.read_end.get(), POLLIN, 0};
  char buffer[512];
  while (::poll(&readable, 1, 10'000) == 1) {
    const ssize_t got = ::read(report_.read_end.get(), buffer, sizeof buffer);
    if (got <= 0) {
      return report;
    }
    report.append(buffer, static_cast<std::size_t>(got));
  }
  return report + " (no report within 10 s)";
}

int GatedChild::main(const std::function<void()>& step) {
  if (!gate_.pass()) {
    return 1;
  }
  std::string report = "ok";
  try {
    if (step) {
      step();
    }
  } catch (const std::exception& error) {
    report = error.what();
  }
  (void)!::write(report_.write_end.get(), report.data(), report.size());
  report_.write_end.reset();
  while (true) {
    ::pause(); // keeps the namespaces alive until stop() or the destructor
  }
}

} // namespace nslab::testing
