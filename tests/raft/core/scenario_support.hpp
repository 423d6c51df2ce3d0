#pragma once
// Helpers the named scenario files share: cluster options, electing a leader,
// finding a follower, looking up the reads a node answered.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "sim_cluster.hpp"

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

} // namespace dref::test::sim

#define REQUIRE_SAFE(c) BOOST_REQUIRE_MESSAGE((c).violation().empty(), (c).violation())
