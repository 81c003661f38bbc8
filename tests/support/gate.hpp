/// \file
/// \brief A minimal pipe gate that holds a cloned child until the test opens
/// it. The tests use this rather than a checkpoint, whose behaviour some of
/// them check.
#pragma once

#include "nslab/unique_fd.hpp"

#include <unistd.h>

namespace nslab::testing {

/// Make it before clone_child(); the child calls pass(), the test open().
class Gate {
public:
  /// Child side: blocks until the test opens the gate; true if it did.
  bool pass() {
    pipe_.write_end.reset();
    char byte = 0;
    return ::read(pipe_.read_end.get(), &byte, 1) == 1;
  }
  /// Test side: lets the child through.
  void open() {
    [[maybe_unused]] const ssize_t ignored = ::write(pipe_.write_end.get(), "x", 1);
    pipe_.write_end.reset();
  }

private:
  Pipe pipe_ = make_pipe();
};

} // namespace nslab::testing
