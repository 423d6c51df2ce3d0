#pragma once
// A client's retry identity: a random client id and its numbered
// proposals. acked (sent with each proposal) is the highest sequence below
// which every answer arrived, so the store may drop those cached answers;
// a proposal sent again under its (client id, sequence) applies at most
// once (backend_actor.hpp).

#include "dref/protocol/store_commands.hpp"

#include <cstdint>
#include <mutex>
#include <set>

namespace dref::detail {

class sequence_numbers {
public:
  sequence_numbers();

  std::uint64_t client_id() const noexcept { return client_id_; }

  // command under this client's next sequence number; finish(sequence)
  // once it is answered.
  protocol::store_proposal numbered(protocol::store_command command);
  void finish(std::uint64_t sequence);

private:
  const std::uint64_t client_id_;
  std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::set<std::uint64_t> in_flight_;
};

} // namespace dref::detail
