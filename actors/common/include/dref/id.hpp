#pragma once
// Ids of refs, locks, topics, elections, promises and delays.
//   dref::auto_id()          from the call site (file, line, column): the
//                            same on every node that runs the same binary
//   dref::manual_id("name")  a name you choose; checked when used
// Allowed: 1 to 256 characters (the node's max_id_length) of letters,
// digits and . _ : / @ -. Ids beginning with "dref/" hold dref's own records
// (dref/members/<name>: where each raft member listens): they can be read,
// and any write to them fails with errc::invalid_argument.

#include <source_location>
#include <string>
#include <string_view>

namespace dref {

class id {
public:
  const std::string& str() const noexcept { return text_; }
  friend bool operator==(const id&, const id&) = default;
  friend auto operator<=>(const id&, const id&) = default;

private:
  friend id auto_id(std::source_location);
  friend id manual_id(std::string_view);
  explicit id(std::string text)
      : text_(std::move(text)) {}
  std::string text_;
};

// "auto:<file name>:<line>:<column>:<hash of the full path>"
id auto_id(std::source_location where = std::source_location::current());

// Not checked here: the store checks every id (one set of rules for every
// backend), so a bad name fails with errc::invalid_id where it is used.
id manual_id(std::string_view name);

} // namespace dref
