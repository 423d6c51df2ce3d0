#include "tokens.hpp"

#include <fstream>
#include <sstream>

namespace dref::gateway {

namespace {

std::optional<role> role_named(std::string_view name) {
  if (name == "read")
    return role::read;
  if (name == "write")
    return role::write;
  if (name == "admin")
    return role::admin;
  return std::nullopt;
}

bool same_text(std::string_view a, std::string_view b) {
  unsigned char differ = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    differ |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return differ == 0;
}

} // namespace

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::read:
      return "read";
    case role::write:
      return "write";
    case role::admin:
      return "admin";
  }
  return "unknown";
}

result<token_table> token_table::load(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return error{errc::invalid_config, "http.tokens_file '" + path + "' cannot be read"};
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

result<token_table> token_table::parse(std::string_view text, const std::string& origin) {
  token_table out;
  out.enforced_ = true;
  std::istringstream lines{std::string{text}};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos)
      line.erase(hash);
    std::istringstream words{line};
    std::string token, role_name, extra;
    if (!(words >> token))
      continue;
    auto where = "http.tokens_file '" + origin + "' line " + std::to_string(number);
    auto r = words >> role_name ? role_named(role_name) : std::nullopt;
    if (!r || (words >> extra))
      return error{errc::invalid_config, where + ": not 'token role' (role read, write or admin)"};
    for (const auto& [known, ignored] : out.tokens_)
      if (known == token)
        return error{errc::invalid_config, where + ": the token appears twice"};
    out.tokens_.emplace_back(std::move(token), *r);
  }
  return out;
}

std::optional<role> token_table::role_of(std::string_view authorization) const {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() || authorization.substr(0, scheme.size()) != scheme)
    return std::nullopt;
  auto token = authorization.substr(scheme.size());
  std::optional<role> found;
  for (const auto& [known, r] : tokens_)
    if (same_text(known, token))
      found = r;
  return found;
}

} // namespace dref::gateway
