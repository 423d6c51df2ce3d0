#include "linearizability.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

using namespace dref::test;
using model = register_model;
using op = operation<model>;
using kind = model::kind;

namespace {

op read(std::uint64_t call, std::uint64_t ret, std::int64_t seen) {
  return {call, ret, {kind::read, 0, 0}, {seen, true}};
}
op write(std::uint64_t call, std::uint64_t ret, std::int64_t value) {
  return {call, ret, {kind::write, value, 0}, {0, true}};
}
op cas(std::uint64_t call, std::uint64_t ret, std::int64_t expected, std::int64_t value, bool ok) {
  return {call, ret, {kind::cas, value, expected}, {0, ok}};
}

bool linearizable(std::vector<op> history) {
  return linearizability_checker<model>{std::move(history)}.check() == verdict::linearizable;
}

bool violation(std::vector<op> history) {
  return linearizability_checker<model>{std::move(history)}.check() == verdict::violation;
}

} // namespace

BOOST_AUTO_TEST_SUITE(linearizability)

BOOST_AUTO_TEST_CASE(sequential_histories) {
  BOOST_TEST(linearizable({}));
  BOOST_TEST(linearizable({write(0, 1, 1), read(2, 3, 1), cas(4, 5, 1, 2, true), read(6, 7, 2)}));
  BOOST_TEST(!linearizable({write(0, 1, 1), read(2, 3, 0)}));
  BOOST_TEST(!linearizable({cas(0, 1, 5, 6, true)}));
  BOOST_TEST(linearizable({cas(0, 1, 5, 6, false), read(2, 3, 0)}));
}

BOOST_AUTO_TEST_CASE(concurrent_reads_may_see_either_side_but_never_go_back) {
  BOOST_TEST(linearizable({write(0, 10, 1), read(1, 2, 0), read(3, 4, 1)}));
  BOOST_TEST(linearizable({write(0, 10, 1), read(1, 2, 1), read(3, 4, 1)}));
  BOOST_TEST(!linearizable({write(0, 10, 1), read(1, 2, 1), read(3, 4, 0)}));
}

BOOST_AUTO_TEST_CASE(two_winning_cas_on_one_value_are_impossible) {
  BOOST_TEST(!linearizable({cas(0, 10, 0, 1, true), cas(1, 11, 0, 2, true)}));
  BOOST_TEST(linearizable({cas(0, 10, 0, 1, true), cas(1, 11, 0, 2, false), read(12, 13, 1)}));
}

BOOST_AUTO_TEST_CASE(unknown_outcomes_may_or_may_not_have_happened) {
  BOOST_TEST(linearizable({write(0, unknown_return, 5), read(10, 11, 5)}));
  BOOST_TEST(linearizable({write(0, unknown_return, 5), read(10, 11, 0)}));
  BOOST_TEST(!linearizable({read(0, 1, 5), write(2, unknown_return, 5)}));
  // Once seen, it cannot be unseen.
  BOOST_TEST(!linearizable({write(0, unknown_return, 5), read(10, 11, 5), read(12, 13, 0)}));
}

// Histories produced by a real sequential register with random overlaps are
// linearizable; the same history with one read changed to a value nobody
// wrote is not.
BOOST_AUTO_TEST_CASE(random_histories_of_a_correct_register) {
  std::mt19937_64 rng{42};
  for (int round = 0; round < 200; ++round) {
    std::vector<op> history;
    std::int64_t value = 0;
    std::uint64_t clock = 100; // calls reach up to 15 before the first effect
    for (int i = 0; i < 60; ++i) {
      // Each op takes effect at `clock`; its call is up to 15 before and its
      // return up to 15 after, so neighbours overlap.
      std::uint64_t at = (clock += 10);
      std::uint64_t call = at - rng() % 16;
      std::uint64_t ret = at + rng() % 16;
      switch (rng() % 3) {
        case 0:
          history.push_back(read(call, ret, value));
          break;
        case 1:
          value = static_cast<std::int64_t>(rng() % 4);
          history.push_back(write(call, ret, value));
          break;
        default: {
          std::int64_t expected = static_cast<std::int64_t>(rng() % 4);
          bool ok = expected == value;
          std::int64_t next = static_cast<std::int64_t>(rng() % 4);
          if (ok)
            value = next;
          history.push_back(cas(call, ret, expected, next, ok));
        }
      }
    }
    BOOST_TEST_REQUIRE(linearizable(history), "round " << round);
    for (auto& item : history)
      if (item.input.what == kind::read) {
        item.output.value = 999;
        break;
      }
    BOOST_TEST_REQUIRE(violation(history), "round " << round);
  }
}

// A search stopped by its budget says so: it is no verdict either way.
BOOST_AUTO_TEST_CASE(a_search_that_runs_out_of_steps_is_inconclusive_not_a_violation) {
  std::vector<op> history;
  // Many overlapping writes, then a read of the first: a long search.
  for (std::uint64_t i = 0; i < 12; ++i)
    history.push_back(write(i, 100 + i, static_cast<std::int64_t>(i)));
  history.push_back(read(200, 201, 0));
  BOOST_TEST((linearizability_checker<model>{history}.check(5) == verdict::inconclusive));
  BOOST_TEST((linearizability_checker<model>{history}.check() == verdict::linearizable));
  history.back().output.value = 999;
  BOOST_TEST((linearizability_checker<model>{history}.check(5) == verdict::inconclusive));
  BOOST_TEST((linearizability_checker<model>{history}.check() == verdict::violation));
}

BOOST_AUTO_TEST_SUITE_END()
