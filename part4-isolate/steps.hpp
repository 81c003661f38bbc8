// -v: each setup step, with the time it took in microseconds.
#pragma once

#include "nslab/narrator.hpp"

#include <fmt/core.h>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace isolate {

/// Runs setup steps and, when -v is on, reports each one that succeeded with
/// its duration, so a slow start can be traced to the step that costs.
class Steps {
public:
  /// Which side takes the steps, for the "Parent:" or " Child:" prefix.
  enum class Side { kParent, kChild };

  Steps(const nslab::Narrator& narrator, Side side) noexcept : narrator_(narrator), side_(side) {}

  /// Runs \p action as the step \p name and returns what it returns.
  template <typename Action>
  decltype(auto) operator()(std::string_view name, Action&& action) const {
    const Report report(*this, name);
    return action();
  }

  /// The same for a name with a detail in it, `("keep {} capabilities",
  /// count, action)`: the name is formatted only when -v prints it.
  template <typename Detail, typename Action>
  decltype(auto) operator()(fmt::format_string<const Detail&> name, const Detail& detail,
                            Action&& action) const {
    return (*this)(narrator_.enabled() ? fmt::format(name, detail) : std::string(),
                   std::forward<Action>(action));
  }

private:
  using Clock = std::chrono::steady_clock;

  /// Prints the step when it ends, unless it ended by throwing.
  class Report {
  public:
    Report(const Steps& steps, std::string_view name) noexcept
        : steps_(steps), name_(name), exceptions_(std::uncaught_exceptions()) {}
    Report(const Report&) = delete;
    Report& operator=(const Report&) = delete;
    ~Report() {
      if (std::uncaught_exceptions() != exceptions_) {
        return;
      }
      try {
        steps_.print(
            name_,
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count());
      } catch (...) {
        // -v output is a courtesy; a closed stdout must not stop the program.
      }
    }

  private:
    const Steps& steps_;
    std::string_view name_;
    int exceptions_;
    Clock::time_point started_ = Clock::now();
  };

  void print(std::string_view name, long long microseconds) const {
    if (side_ == Side::kParent) {
      narrator_.parent("{:<40}{:>7} us", name, microseconds);
    } else {
      narrator_.child("{:<40}{:>7} us", name, microseconds);
    }
  }

  const nslab::Narrator& narrator_;
  Side side_;
};

} // namespace isolate
