#include "text.hpp"

#include "nslab/error.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace nslab::testing {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream file(path);
  file << text;
  file.close();
  if (!file) {
    nslab::throw_errno("write", path);
  }
}

Words lines(std::string_view text) {
  std::istringstream stream{std::string(text)};
  Words all;
  for (std::string line; std::getline(stream, line);) {
    all.push_back(line);
  }
  return all;
}

Words words(std::string_view text) {
  std::istringstream stream{std::string(text)};
  Words all;
  for (std::string word; stream >> word;) {
    all.push_back(word);
  }
  return all;
}

} // namespace nslab::testing
