#include "dref/id.hpp"

#include "dref/protocol/codec.hpp"

#include <cctype>
#include <cstdio>

namespace dref {

id auto_id(std::source_location where) {
  std::string_view path{where.file_name()};
  auto slash = path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string text = "auto:";
  for (char c : file) // keep the id within the allowed characters
    text +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  char hash[9];
  std::snprintf(hash, sizeof(hash), "%08x", protocol::type_tag(path));
  text += ":" + std::to_string(where.line()) + ":" + std::to_string(where.column()) + ":" + hash;
  return id{std::move(text)};
}

id manual_id(std::string_view name) {
  return id{std::string{name}};
}

} // namespace dref
