#pragma once
// Helpers the named scenario files share: cluster options, electing a leader,
// finding a follower, looking up the reads a node answered.
#include "sim_cluster.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

namespace dref::test::sim {

inline options cluster_of(std::size_t nodes, std::uint64_t seed = 1) {
  options o;
  o.nodes = nodes;
  o.seed = seed;
  return o;
}

inline node_id elect(cluster& c, int max_ticks = 300) {
  auto l = c.wait_for_leader(max_ticks);
  BOOST_REQUIRE_MESSAGE(l.has_value(), "no leader elected: " << c.violation());
  return *l;
}

inline node_id some_follower(cluster& c, node_id leader) {
  for (auto id : c.ids())
    if (id != leader && c.alive(id))
      return id;
  BOOST_FAIL("no follower");
  return raft::core::no_node;
}

inline bool has_read(cluster& c, node_id id, const std::string& context) {
  const auto& reads = c.reads(id);
  return std::any_of(reads.begin(), reads.end(),
                     [&](const auto& r) { return r.context == context; });
}

inline std::uint64_t read_index_of(cluster& c, node_id id, const std::string& context) {
  for (const auto& r : c.reads(id))
    if (r.context == context)
      return r.index;
  return 0;
}

// A node's durable state holding one normal entry per term given (index 1,
// 2, ...) with hard term hard_term and nothing committed.
inline raft::core::persisted_state log_with_terms(const std::vector<std::uint64_t>& terms,
                                                  std::uint64_t hard_term) {
  raft::core::persisted_state state;
  state.hard.term = hard_term;
  std::uint64_t index = 0;
  for (auto term : terms) {
    raft::core::entry e;
    e.index = ++index;
    e.term = term;
    e.client_id = 99;
    e.sequence = index;
    e.data = "i" + std::to_string(index) + "t" + std::to_string(term);
    state.entries.push_back(std::move(e));
  }
  return state;
}

} // namespace dref::test::sim

#define REQUIRE_SAFE(c) BOOST_REQUIRE_MESSAGE((c).violation().empty(), (c).violation())
