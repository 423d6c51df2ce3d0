#pragma once
// What a nemesis client process records, one line per event, written and
// flushed as it happens, so a client stopped at any moment (or paused and
// never resumed) leaves a record the suite can still check:
//   invoke <n> <key> <kind> <value> <expected> <call_ns>   before a call
//   return <n> <value> <ok> <ret_ns>                        its answer (value:
//                                                           what a read read, the
//                                                           version a write made,
//                                                           0 after a cas)
//   hold <token> <from_ns> <to_ns> <lost>                   a lock grant
// An operation invoked and never returned (its outcome unknown: a timeout,
// or the process stopped mid-call) gets test::unknown_return. Times are
// steady_clock (CLOCK_MONOTONIC), one clock for every process of a machine,
// so histories written by several processes merge into one.

#include "linearizability.hpp"

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace dref::test::nemesis {

using model = register_model;
using op = operation<model>;

std::uint64_t now_ns();

// One grant of a lock as its holder used it: from the first to the last
// moment it checked it still held it; both 0 when it found the grant lost
// at its first check (it never used it).
struct hold {
  std::uint64_t token = 0;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  bool lost = false; // it stopped because it found the grant lost
};

class history_writer {
public:
  explicit history_writer(const std::string& path); // throws std::runtime_error
  history_writer(const history_writer&) = delete;
  history_writer& operator=(const history_writer&) = delete;
  ~history_writer();

  // Records the call (stamped now) and returns its number for returned().
  std::uint64_t invoke(int key, const model::input_type& input);
  void returned(std::uint64_t n, const model::output_type& output);
  void held(const hold& h);

private:
  void line(const std::string& text);
  std::FILE* file_;
  std::uint64_t next_ = 0;
};

// Every process's records, merged.
struct histories {
  std::map<int, std::vector<op>> by_key;
  std::vector<hold> holds;
  std::size_t malformed_lines = 0; // a torn last line of a killed writer
};

// Adds what the file at path holds to into.
void read_history(const std::string& path, histories& into);

// Whether an operation is a write the cluster acknowledged.
inline bool acknowledged_write(const op& o) {
  return o.ret != unknown_return &&
         (o.input.what == model::kind::write || (o.input.what == model::kind::cas && o.output.ok));
}

} // namespace dref::test::nemesis
