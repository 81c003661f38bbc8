#include "text.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace nslab::testing {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
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
