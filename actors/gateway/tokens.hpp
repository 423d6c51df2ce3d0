#pragma once
// Bearer tokens and their roles (http.tokens_file): one "token role" pair a
// line, '#' starts a comment, roles read < write < admin (each includes the
// ones before it).

#include "dref/protocol/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dref::gateway {

enum class role { read = 1, write = 2, admin = 3 };

std::string_view to_string(role r) noexcept;

class token_table {
public:
  // No tokens at all: every request may do everything (loopback only, see
  // gateway.hpp).
  token_table() = default;
  // errc::invalid_config naming the file and line when it cannot be read,
  // a line is not "token role", or a token appears twice.
  static result<token_table> load(const std::string& path);
  static result<token_table> parse(std::string_view text, const std::string& origin);

  bool enforced() const noexcept { return enforced_; }
  // The role of the token in an Authorization header value ("Bearer
  // <token>"); nullopt when absent or unknown. Compares every token in
  // full, so the time taken does not tell how much of a guess was right.
  std::optional<role> role_of(std::string_view authorization) const;

private:
  bool enforced_ = false;
  std::vector<std::pair<std::string, role>> tokens_;
};

} // namespace dref::gateway
