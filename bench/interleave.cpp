// interleave: times commands side by side, alternating them run by run.
//
// hyperfine times one command's runs in a block, then the next command's:
// a burst of load from another process lands on one command only, and a
// command that leaves work behind in the kernel (a network namespace torn
// down after exit) charges it to its own next run. Here every round runs
// the commands one after the other, RUNS times over, starting each pass at
// the next command so that none always follows the same one. Each round
// gives a median per command and so a ratio to the first command; the
// summary is the median of those ratios over the rounds.
//
// Usage: interleave [-r ROUNDS] [-n RUNS] [-w WARMUP] [-c A=B]... [-v]
//                   LABEL=COMMAND...
//   LABEL=COMMAND  a label for the table, then the command, split at spaces
//                  (no quoting; run directly, not by a shell)
//   -c A=B         also print the ratio of the commands labelled A and B
//   -v             also run the first command with -v after its program
//                  name, interleaved with the rest, and print the median
//                  of each "Parent:"/" Child:" step it times ("NAME  N us")
// Each command must exit 0; its output is discarded unless it fails.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <getopt.h>
#include <map>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

extern char** environ;

namespace {

struct Command {
  std::string label;
  std::vector<std::string> words;
};

struct Settings {
  int rounds = 5;
  int runs = 100;
  int warmup = 20;
  bool steps = false;
  std::vector<std::pair<std::string, std::string>> comparisons;
  std::vector<Command> commands;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "interleave: %s\n", message.c_str());
  std::exit(1);
}

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream stream(text);
  std::vector<std::string> words;
  for (std::string word; stream >> word;) {
    words.push_back(word);
  }
  return words;
}

int count(const char* text, const char* option) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0 || value > 1'000'000) {
    fail(std::string(option) + ": expected a count, got '" + text + "'");
  }
  return static_cast<int>(value);
}

std::pair<std::string, std::string> split_at_equals(const std::string& text, const char* what) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    fail(std::string(what) + ": expected A=B, got '" + text + "'");
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

Settings parse(int argc, char** argv) {
  Settings settings;
  for (int option; (option = ::getopt(argc, argv, "+r:n:w:c:v")) != -1;) {
    switch (option) {
    case 'r':
      settings.rounds = count(optarg, "-r");
      break;
    case 'n':
      settings.runs = count(optarg, "-n");
      break;
    case 'w':
      settings.warmup = count(optarg, "-w");
      break;
    case 'c':
      settings.comparisons.push_back(split_at_equals(optarg, "-c"));
      break;
    case 'v':
      settings.steps = true;
      break;
    default:
      fail("usage: interleave [-r ROUNDS] [-n RUNS] [-w WARMUP] [-c A=B]... [-v] LABEL=COMMAND...");
    }
  }
  for (int i = optind; i < argc; ++i) {
    auto [label, command] = split_at_equals(argv[i], "LABEL=COMMAND");
    settings.commands.push_back({label, split_words(command)});
  }
  if (settings.commands.empty() || settings.rounds == 0 || settings.runs == 0) {
    fail("nothing to time: give at least one LABEL=COMMAND, and rounds and runs above 0");
  }
  return settings;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

double now_us() {
  timespec time{};
  ::clock_gettime(CLOCK_MONOTONIC, &time);
  return static_cast<double>(time.tv_sec) * 1e6 + static_cast<double>(time.tv_nsec) / 1e3;
}

/// Runs commands with stdin from /dev/null and stdout and stderr into one
/// memory file, which is read only when needed.
class Runner {
public:
  Runner()
      : null_(::open("/dev/null", O_RDONLY | O_CLOEXEC)),
        output_(::memfd_create("interleave-output", MFD_CLOEXEC)) {
    if (null_ < 0 || output_ < 0) {
      fail(std::string("cannot open /dev/null or a memfd: ") + std::strerror(errno));
    }
  }

  /// Runs \p words to the end; returns the wall time in microseconds.
  double run(const std::vector<std::string>& words) {
    std::vector<char*> argv;
    for (const std::string& word : words) {
      argv.push_back(const_cast<char*>(word.c_str()));
    }
    argv.push_back(nullptr);
    if (::ftruncate(output_, 0) != 0 || ::lseek(output_, 0, SEEK_SET) != 0) {
      fail(std::string("memfd: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, null_, STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, output_, STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, output_, STDERR_FILENO);
    const double started = now_us();
    pid_t pid = 0;
    const int error = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      fail(words[0] + ": " + std::strerror(error));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const double ended = now_us();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fail("'" + join(words) + "' failed (status " + std::to_string(status) + "):\n" + output());
    }
    return ended - started;
  }

  /// What the last command printed.
  std::string output() const {
    std::string text;
    char buffer[4096];
    off_t offset = 0;
    for (ssize_t got; (got = ::pread(output_, buffer, sizeof buffer, offset)) > 0; offset += got) {
      text.append(buffer, static_cast<std::size_t>(got));
    }
    return text;
  }

  static std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words) {
      text += (text.empty() ? "" : " ") + word;
    }
    return text;
  }

private:
  int null_;
  int output_;
};

/// \p text with each number (an address such as 169.254.7.2/30 too) as
/// "N", so that one step has one name in every run.
std::string without_numbers(const std::string& text) {
  std::string result;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      result += text[i];
      continue;
    }
    while (i + 1 < text.size() && (std::isdigit(static_cast<unsigned char>(text[i + 1])) ||
                                   text[i + 1] == '.' || text[i + 1] == '/')) {
      ++i;
    }
    result += 'N';
  }
  return result;
}

/// The steps a -v run reported: "Parent: NAME   N us" or " Child: ...".
/// Each step's times, in the order the steps first appeared.
class StepTimes {
public:
  void add(const std::string& output) {
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      const bool parent = line.starts_with("Parent: ");
      if ((!parent && !line.starts_with(" Child: ")) || !line.ends_with(" us")) {
        continue;
      }
      const std::string body = line.substr(8, line.size() - 8 - 3);
      const auto last_space = body.find_last_of(' ');
      if (last_space == std::string::npos) {
        continue;
      }
      const std::string name =
          (parent ? "parent: " : "child:  ") +
          without_numbers(body.substr(0, body.find_last_not_of(' ', last_space) + 1));
      if (times_.find(name) == times_.end()) {
        order_.push_back(name);
      }
      times_[name].push_back(std::strtod(body.c_str() + last_space + 1, nullptr));
    }
  }

  void print(double total_us) const {
    double sum = 0;
    for (const std::string& name : order_) {
      const double step = median(times_.at(name));
      // A step on isolate's second thread runs while the first thread's
      // steps do; the first thread's wait for it is a step of its own.
      if (name.find("(second thread)") == std::string::npos) {
        sum += step;
      }
      std::printf("  %-50s %8.0f us\n", name.c_str(), step);
    }
    std::printf("  %-50s %8.0f us\n", "sum of the steps (first thread and parent)", sum);
    std::printf("  %-50s %8.0f us\n", "the rest: exec, loader, waits, exit", total_us - sum);
  }

private:
  std::vector<std::string> order_;
  std::map<std::string, std::vector<double>> times_;
};

std::size_t index_of(const Settings& settings, const std::string& label) {
  for (std::size_t i = 0; i < settings.commands.size(); ++i) {
    if (settings.commands[i].label == label) {
      return i;
    }
  }
  fail("-c: no command labelled '" + label + "'");
}

} // namespace

int main(int argc, char** argv) {
  const Settings settings = parse(argc, argv);
  std::vector<Command> commands = settings.commands;
  const std::size_t timed = commands.size();
  if (settings.steps) {
    Command verbose = commands.front();
    verbose.label += " -v";
    verbose.words.insert(verbose.words.begin() + 1, "-v");
    commands.push_back(verbose);
  }
  for (const auto& [a, b] : settings.comparisons) {
    (void)index_of(settings, a);
    (void)index_of(settings, b);
  }
  Runner runner;
  StepTimes steps;
  // medians[c][round]: command c's median run in that round.
  std::vector<std::vector<double>> medians(commands.size());
  for (int round = 0; round < settings.rounds; ++round) {
    std::vector<std::vector<double>> times(commands.size());
    for (int pass = 0; pass < settings.warmup + settings.runs; ++pass) {
      for (std::size_t k = 0; k < commands.size(); ++k) {
        const std::size_t c = (k + static_cast<std::size_t>(pass)) % commands.size();
        const double took = runner.run(commands[c].words);
        if (pass < settings.warmup) {
          continue;
        }
        times[c].push_back(took);
        if (c == timed && settings.steps) {
          steps.add(runner.output());
        }
      }
    }
    for (std::size_t c = 0; c < commands.size(); ++c) {
      medians[c].push_back(median(times[c]));
    }
    std::fprintf(stderr, "round %d of %d done\n", round + 1, settings.rounds);
  }
  const auto ratios = [&](std::size_t a, std::size_t b) {
    std::vector<double> per_round;
    for (int round = 0; round < settings.rounds; ++round) {
      per_round.push_back(medians[a][static_cast<std::size_t>(round)] /
                          medians[b][static_cast<std::size_t>(round)]);
    }
    return per_round;
  };
  std::printf("%d rounds of %d runs each (after %d warm-up), commands alternated run by run\n\n",
              settings.rounds, settings.runs, settings.warmup);
  std::printf("| command | median | ratio to `%s` | range over rounds |\n|---|---|---|---|\n",
              commands.front().label.c_str());
  for (std::size_t c = 0; c < timed; ++c) {
    const std::vector<double> per_round = ratios(c, 0);
    std::printf("| `%s` | %.2f ms | %.2f | %.2f–%.2f |\n", commands[c].label.c_str(),
                median(medians[c]) / 1e3, median(per_round),
                *std::min_element(per_round.begin(), per_round.end()),
                *std::max_element(per_round.begin(), per_round.end()));
  }
  if (!settings.comparisons.empty()) {
    std::printf("\n| command | peer | ratio | range over rounds |\n|---|---|---|---|\n");
  }
  for (const auto& [a, b] : settings.comparisons) {
    const std::vector<double> per_round = ratios(index_of(settings, a), index_of(settings, b));
    std::printf("| `%s` | `%s` | %.2f | %.2f–%.2f |\n", a.c_str(), b.c_str(), median(per_round),
                *std::min_element(per_round.begin(), per_round.end()),
                *std::max_element(per_round.begin(), per_round.end()));
  }
  if (settings.steps) {
    std::printf("\nwhere `%s` spends its time (median of each -v step, in the same run):\n",
                commands.front().label.c_str());
    steps.print(median(medians[timed]));
  }
  return 0;
}
