#pragma once
// A deterministic, seeded, time-bounded mutation fuzzer for dref's decoders,
// run as Boost.Test cases under ASan + UBSan (see tests/README.md).
//
// Every target starts from a few valid inputs (its seeds), mutates them and
// hands the result to a check. Iteration i of a target draws all of its
// randomness from (seed, target name, i), so any input is reproduced by
// `--seed S --target NAME --iteration I` whatever the machine's speed;
// time only decides how many iterations a run gets to.
//
// A check fails through its probe (a message), by letting an exception
// escape (decoders answer errors, they do not throw), or by a sanitizer
// report; in every case the seed, iteration and input (hex) are printed.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dref::fuzz {

// splitmix64: small, fast, and identical everywhere (std's distributions
// are not specified bit for bit, so replays would differ across libraries).
class rng {
public:
  explicit rng(std::uint64_t state)
      : state_(state) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }

private:
  std::uint64_t state_;
};

// Allocations a single decode may make: per_byte bytes for every input byte
// plus a constant (error messages, exception objects, fixed buffers).
struct alloc_bound {
  std::size_t per_byte = 32;
  std::size_t constant = 4 * 1024;
  std::size_t for_input(std::size_t bytes) const { return per_byte * bytes + constant; }
};

// What a check reports back.
class probe {
public:
  explicit probe(alloc_bound bound)
      : bound_(bound) {}

  void fail(std::string problem) {
    if (!problem_)
      problem_ = std::move(problem);
  }
  // The input decoded: counts towards the target's acceptance rate.
  void accepted() { accepted_ = true; }

  // Runs f, counting every byte it allocates (operator new and malloc);
  // more than the bound for `input_bytes` is a failure.
  template <class F>
  auto measured(std::size_t input_bytes, F&& f) {
    start_counting();
    struct stop {
      probe* self;
      std::size_t input_bytes;
      ~stop() { self->stop_counting(input_bytes); }
    } guard{this, input_bytes};
    return f();
  }

  const std::optional<std::string>& problem() const { return problem_; }
  bool was_accepted() const { return accepted_; }
  std::size_t most_allocated() const { return most_allocated_; }
  std::size_t most_allocated_input() const { return most_allocated_input_; }

private:
  void start_counting();
  void stop_counting(std::size_t input_bytes);

  alloc_bound bound_;
  std::optional<std::string> problem_;
  bool accepted_ = false;
  std::size_t most_allocated_ = 0;
  std::size_t most_allocated_input_ = 0;
};

struct target {
  std::string group; // the Boost.Test case that runs it
  std::string name;
  std::vector<std::string> seeds; // valid inputs, each accepted unmutated
  std::function<void(std::string_view input, probe&)> check;
  // Repairs what would make almost every mutant fail at the first check
  // (a frame header, checksums), so that mutations reach the code behind
  // it. Applied to most inputs, never to all.
  std::function<void(std::string& input, rng&)> fixup;
  // A mutation that knows the input's structure, used for most rounds
  // instead of a byte-level one when set (a no-op where the input has none).
  std::function<void(std::string& input, rng&)> structured;
  alloc_bound bound;
  double weight = 1; // share of the time budget
};

// Filled once, on first use, by the add_*_targets functions.
const std::vector<target>& all_targets();
void add_protocol_targets(std::vector<target>& out);
void add_store_targets(std::vector<target>& out);
void add_storage_targets(std::vector<target>& out);
void add_redis_targets(std::vector<target>& out);

// Runs every selected target of the group within its share of the time
// budget; false when one failed (already reported).
bool run_group(std::string_view group);

// Checks one exact input against a named target (regression tests).
// Returns the problem, if any.
std::optional<std::string> check_input(std::string_view target_name, std::string_view input);

std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

// The mutated input of iteration `iteration` of t.
std::string make_input(const target& t, std::uint64_t seed, std::uint64_t iteration);

// Byte-level mutations (mutate.cpp): one random edit of `bytes`; `others`
// are inputs to splice from.
void mutate_once(std::string& bytes, rng& r, const std::vector<std::string>& others);

} // namespace dref::fuzz
