#pragma once
// A linearizability checker for recorded histories (Wing & Gong's search
// with Lowe's memoization of (linearized set, state), as Porcupine does).
//
// A history is a list of operations, each with the time it was invoked and
// the time it returned. An operation whose outcome is unknown (a timeout)
// returns at `unknown_return`: it may take effect at any point after its
// call, or never; such operations carry no output to check (`outcome_known`
// false) and the model must accept any effect... see register_model below.
//
// Model concept:
//   using state_type; using input_type; using output_type;
//   static state_type initial();
//   // The state after applying `input` in `state`, if `output` is what that
//   // application answers; nullopt when the output is impossible there.
//   static std::optional<state_type> step(const state_type&, const input_type&,
//                                         const output_type&, bool outcome_known);
// state_type needs operator== and a std::hash specialization or a hash()
// member (used for memoization).

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_set>
#include <vector>

namespace dref::test {

inline constexpr std::uint64_t unknown_return = std::numeric_limits<std::uint64_t>::max();

template <class Model>
struct operation {
  std::uint64_t call = 0;
  std::uint64_t ret = 0; // unknown_return if the outcome was never seen
  typename Model::input_type input{};
  typename Model::output_type output{};
};

// What a search found. `inconclusive`: the step budget ran out before it
// found an order or proved there is none; a history is reported as a
// violation only when the search was complete.
enum class verdict { linearizable, violation, inconclusive };

inline const char* to_string(verdict v) {
  switch (v) {
    case verdict::linearizable:
      return "linearizable";
    case verdict::violation:
      return "NOT linearizable";
    case verdict::inconclusive:
      return "inconclusive (search budget exhausted)";
  }
  return "?";
}

template <class Model>
class linearizability_checker {
public:
  using op = operation<Model>;
  using state = typename Model::state_type;

  explicit linearizability_checker(std::vector<op> history)
      : ops_(std::move(history)) {}

  // linearizable when some order of the operations, consistent with real
  // time, explains every output; violation when none does; inconclusive
  // when `max_steps` ran out first.
  verdict check(std::uint64_t max_steps = 50'000'000) {
    const std::size_t n = ops_.size();
    if (n == 0)
      return verdict::linearizable;
    // Events: every call and every known return, in time order (calls first
    // on ties, so touching operations count as concurrent).
    struct event {
      std::uint64_t time;
      bool is_call;
      std::size_t op;
    };
    std::vector<event> events;
    for (std::size_t i = 0; i < n; ++i) {
      events.push_back({ops_[i].call, true, i});
      if (ops_[i].ret != unknown_return)
        events.push_back({ops_[i].ret, false, i});
    }
    std::sort(events.begin(), events.end(), [](const event& a, const event& b) {
      return a.time != b.time ? a.time < b.time : (a.is_call && !b.is_call);
    });
    // Doubly linked list over the events, so entries can be lifted out and
    // put back in O(1) during the search.
    const std::size_t m = events.size();
    std::vector<std::size_t> next(m + 1), prev(m + 1);
    const std::size_t head = m; // sentinel
    for (std::size_t i = 0; i <= m; ++i) {
      next[i] = i + 1 == m ? head : (i == head ? 0 : i + 1);
      prev[i] = i == 0 ? head : (i == head ? m - 1 : i - 1);
    }
    std::vector<std::size_t> return_event(n, m); // m: none
    for (std::size_t e = 0; e < m; ++e)
      if (!events[e].is_call)
        return_event[events[e].op] = e;
    auto lift = [&](std::size_t e) {
      next[prev[e]] = next[e];
      prev[next[e]] = prev[e];
    };
    auto unlift = [&](std::size_t e) {
      next[prev[e]] = e;
      prev[next[e]] = e;
    };
    std::vector<std::size_t> call_event(n);
    for (std::size_t e = 0; e < m; ++e)
      if (events[e].is_call)
        call_event[events[e].op] = e;

    struct frame {
      std::size_t event;
      state before;
    };
    std::vector<frame> stack;
    std::vector<bool> linearized(n, false);
    std::unordered_set<cache_key, cache_hash> seen;
    state current = Model::initial();
    std::size_t entry = next[head];
    std::uint64_t steps = 0;
    while (next[head] != head) {
      if (++steps > max_steps)
        return verdict::inconclusive;
      // Only pending operations whose outcome is unknown remain: done.
      bool only_unknown = true;
      for (std::size_t e = next[head]; e != head; e = next[e])
        if (!events[e].is_call || ops_[events[e].op].ret != unknown_return) {
          only_unknown = false;
          break;
        }
      if (only_unknown)
        return verdict::linearizable;
      if (entry != head && events[entry].is_call) {
        std::size_t i = events[entry].op;
        bool known = ops_[i].ret != unknown_return;
        auto after = Model::step(current, ops_[i].input, ops_[i].output, known);
        bool advanced = false;
        if (after) {
          linearized[i] = true;
          cache_key key{linearized, *after};
          if (seen.insert(key).second) {
            stack.push_back({entry, current});
            current = *after;
            lift(entry);
            if (return_event[i] != m)
              lift(return_event[i]);
            entry = next[head];
            advanced = true;
          } else {
            linearized[i] = false;
          }
        }
        if (!advanced)
          entry = next[entry];
        continue;
      }
      // A return reached before its call was linearized: backtrack.
      if (stack.empty())
        return verdict::violation;
      auto top = stack.back();
      stack.pop_back();
      std::size_t i = events[top.event].op;
      linearized[i] = false;
      current = top.before;
      if (return_event[i] != m)
        unlift(return_event[i]);
      unlift(top.event);
      entry = next[top.event];
    }
    return verdict::linearizable;
  }

private:
  struct cache_key {
    std::vector<bool> linearized;
    state value;
    friend bool operator==(const cache_key&, const cache_key&) = default;
  };
  struct cache_hash {
    std::size_t operator()(const cache_key& key) const {
      return std::hash<std::vector<bool>>{}(key.linearized) * 31 + std::hash<state>{}(key.value);
    }
  };

  std::vector<op> ops_;
};

// A register of int64 values with read, write and compare-and-set, the
// model of a dref ref<int64_t> (and of a single key in any backend).
struct register_model {
  enum class kind { read, write, cas };
  struct input_type {
    kind what = kind::read;
    std::int64_t value = 0;    // write: new value; cas: new value
    std::int64_t expected = 0; // cas only
  };
  struct output_type {
    std::int64_t value = 0; // read: what was read
    bool ok = true;         // cas: succeeded
  };
  using state_type = std::int64_t;

  static state_type initial() { return 0; }

  static std::optional<state_type> step(state_type state, const input_type& in,
                                        const output_type& out, bool outcome_known) {
    switch (in.what) {
      case kind::read:
        if (!outcome_known || out.value == state)
          return state;
        return std::nullopt;
      case kind::write:
        return in.value;
      case kind::cas:
        if (!outcome_known) // took effect here, if at all
          return state == in.expected ? in.value : state;
        if (out.ok)
          return state == in.expected ? std::optional<state_type>{in.value} : std::nullopt;
        return state != in.expected ? std::optional<state_type>{state} : std::nullopt;
    }
    return std::nullopt;
  }
};

} // namespace dref::test
