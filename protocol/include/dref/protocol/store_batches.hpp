#pragma once
// Many requests of one client process to its member in one message, and
// their answers in one message (the member's client port; the contract of
// the messages is in actors/backends/raft/client_port.hpp). Each item means
// what it would as a request of its own (store_proposal, store_read), and
// its outcome says what that request's answer would: its reply, or, in
// `failed`, the error it would have failed with instead. A batch costs one
// message each way, where its items alone would cost one each: that is the
// whole point (bench/README.md, "Where the time goes").

#include "dref/protocol/error.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::protocol {

// The most items one batch may carry; a client sends more as several.
inline constexpr std::size_t max_batch_items = 256;
// What a client puts into one batch at most, encoded (a larger item goes
// alone): far below network.max_message_bytes, so a batch of large values
// is never refused whole where its items alone would pass.
inline constexpr std::size_t max_batch_bytes = 1 << 20;

// Why a batch of `items` requests is refused (invalid_argument), if it is.
inline std::optional<dref::error> refuse_batch_size(std::size_t items) {
  if (items > 0 && items <= max_batch_items)
    return std::nullopt;
  return dref::error{errc::invalid_argument, "a batch carries 1 to " +
                                                 std::to_string(max_batch_items) +
                                                 " requests, not " + std::to_string(items)};
}

template <class Reply>
struct batch_outcome {
  std::optional<dref::error> failed; // set: no reply, for this reason
  Reply reply;                       // when !failed
  template <class A>
  void serialize(A& ar) {
    ar(failed, reply);
  }
  friend bool operator==(const batch_outcome&, const batch_outcome&) = default;
};

struct proposal_batch {
  static constexpr std::string_view wire_name = "store.proposal_batch";
  std::vector<store_proposal> proposals;
  template <class A>
  void serialize(A& ar) {
    ar(proposals);
  }
  friend bool operator==(const proposal_batch&, const proposal_batch&) = default;
};

// One outcome per proposal, in the batch's order.
struct proposal_batch_reply {
  static constexpr std::string_view wire_name = "store.proposal_batch_reply";
  std::vector<batch_outcome<store_reply>> outcomes;
  template <class A>
  void serialize(A& ar) {
    ar(outcomes);
  }
  friend bool operator==(const proposal_batch_reply&, const proposal_batch_reply&) = default;
};

struct read_batch {
  static constexpr std::string_view wire_name = "store.read_batch";
  std::vector<store_read> reads;
  template <class A>
  void serialize(A& ar) {
    ar(reads);
  }
  friend bool operator==(const read_batch&, const read_batch&) = default;
};

// One outcome per read, in the batch's order.
struct read_batch_reply {
  static constexpr std::string_view wire_name = "store.read_batch_reply";
  std::vector<batch_outcome<store_read_reply>> outcomes;
  template <class A>
  void serialize(A& ar) {
    ar(outcomes);
  }
  friend bool operator==(const read_batch_reply&, const read_batch_reply&) = default;
};

} // namespace dref::protocol
