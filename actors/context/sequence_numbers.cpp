#include "sequence_numbers.hpp"

#include <random>

namespace dref::detail {
namespace {

std::uint64_t random_client_id() {
  std::random_device entropy;
  std::uint64_t id = 0;
  while (id == 0) // 0 means "no deduplication"
    id = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  return id;
}

} // namespace

sequence_numbers::sequence_numbers()
    : client_id_(random_client_id()) {}

protocol::store_proposal sequence_numbers::numbered(protocol::store_command command) {
  std::lock_guard guard{mutex_};
  std::uint64_t sequence = ++next_;
  std::uint64_t acked = in_flight_.empty() ? sequence - 1 : *in_flight_.begin() - 1;
  in_flight_.insert(sequence);
  return protocol::store_proposal{client_id_, sequence, acked, 0, std::move(command)};
}

void sequence_numbers::finish(std::uint64_t sequence) {
  std::lock_guard guard{mutex_};
  in_flight_.erase(sequence);
}

} // namespace dref::detail
