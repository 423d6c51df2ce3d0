#include "harness.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <exception>
#include <iostream>

// The sanitizer runtime's hooks, declared here because GCC 12 ships no
// allocator_interface.h. Weak: without the runtime, nothing is counted and
// the run says so.
extern "C" {
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                  std::size_t),
                                              void (*free_hook)(const volatile void*))
    __attribute__((weak));
void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));
}

namespace dref::fuzz {

namespace {

// --- options ----------------------------------------------------------------

struct options {
  std::uint64_t seed = 1;
  double seconds = 20;
  std::string only; // a target name, or a group or name prefix ("protocol", "raft.")
  std::optional<std::uint64_t> iteration;
  std::optional<std::string> input;
  std::optional<std::uint64_t> iterations; // per target, instead of the clock
};

std::optional<double> number_from(const char* text) {
  if (text == nullptr || *text == '\0')
    return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (*end != '\0' || value < 0)
    return std::nullopt;
  return value;
}

options parse_options() {
  options out;
  if (auto s = number_from(std::getenv("DREF_FUZZ_SECONDS")))
    out.seconds = *s;
  if (const char* s = std::getenv("DREF_FUZZ_SEED"); s != nullptr && *s != '\0')
    out.seed = std::strtoull(s, nullptr, 10);
  if (const char* t = std::getenv("DREF_FUZZ_TARGET"))
    out.only = t;
  auto& suite = boost::unit_test::framework::master_test_suite();
  for (int i = 1; i + 1 < suite.argc; i += 2) {
    std::string_view arg = suite.argv[i];
    const char* value = suite.argv[i + 1];
    if (arg == "--seed")
      out.seed = std::strtoull(value, nullptr, 10);
    else if (arg == "--seconds")
      out.seconds = number_from(value).value_or(out.seconds);
    else if (arg == "--target")
      out.only = value;
    else if (arg == "--iteration")
      out.iteration = std::strtoull(value, nullptr, 10);
    else if (arg == "--iterations")
      out.iterations = std::strtoull(value, nullptr, 10);
    else if (arg == "--input")
      out.input = value;
    else
      BOOST_FAIL("unknown fuzz option " << arg);
  }
  return out;
}

const options& opts() {
  static const options parsed = parse_options();
  return parsed;
}

bool selected(const target& t) {
  const auto& only = opts().only;
  return only.empty() || t.name == only || t.group == only ||
         (t.name.starts_with(only) && (only.ends_with('.') || t.name[only.size()] == '.'));
}

// --- allocation counting ----------------------------------------------------

bool counting = false;
std::size_t counted = 0;

void on_malloc(const volatile void*, std::size_t size) {
  if (counting)
    counted += size;
}
void on_free(const volatile void*) {}

bool hooks_installed() {
  static const bool installed = __sanitizer_install_malloc_and_free_hooks != nullptr &&
                                __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0;
  return installed;
}

// --- what runs now, for reports from a dying process ------------------------

struct current_run {
  std::string target;
  std::uint64_t seed = 0;
  std::optional<std::uint64_t> iteration;
  std::string input;
};
current_run now_running;

std::string replay_line(const current_run& run) {
  std::string out =
      "replay: <this test> -- --seed " + std::to_string(run.seed) + " --target " + run.target;
  if (run.iteration)
    return out + " --iteration " + std::to_string(*run.iteration);
  return out + " --input " + to_hex(run.input);
}

void describe(const current_run& run, std::string_view what) {
  std::fprintf(stderr,
               "\nfuzz: %.*s in target %s (seed %llu, iteration %s)\n"
               "input (%zu bytes): %s\n%s\n",
               static_cast<int>(what.size()), what.data(), run.target.c_str(),
               static_cast<unsigned long long>(run.seed),
               run.iteration ? std::to_string(*run.iteration).c_str() : "-", run.input.size(),
               to_hex(run.input).c_str(), replay_line(run).c_str());
  std::fflush(stderr);
}

void on_death() {
  counting = false;
  static bool told = false; // the runtime may call back more than once
  if (!now_running.target.empty() && !told)
    describe(now_running, "the sanitizer stopped the process");
  told = true;
}

[[noreturn]] void on_terminate() {
  counting = false;
  if (!now_running.target.empty())
    describe(now_running, "std::terminate was called");
  std::abort();
}

void install_reporters() {
  static const bool done = [] {
    if (__sanitizer_set_death_callback != nullptr)
      __sanitizer_set_death_callback(on_death);
    // GCC links ASan and UBSan as two runtimes, each with its own death
    // callback: the declaration above reaches ASan's, UBSan's is set through
    // its library, so that undefined behaviour also prints the input.
    if (void* ubsan = ::dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD)) {
      using setter = void (*)(void (*)());
      if (auto set = reinterpret_cast<setter>(::dlsym(ubsan, "__sanitizer_set_death_callback")))
        set(on_death);
      ::dlclose(ubsan);
    }
    std::set_terminate(on_terminate);
    return true;
  }();
  (void)done;
}

// --- running ----------------------------------------------------------------

struct outcome {
  std::optional<std::string> problem;
  bool accepted = false;
  std::size_t allocated = 0;
  std::size_t allocated_input = 0;
};

outcome check_one(const target& t, std::string_view input) {
  probe p{t.bound};
  try {
    t.check(input, p);
  } catch (const std::exception& ex) {
    p.fail(std::string{"an exception escaped: "} + ex.what());
  } catch (...) {
    p.fail("an exception of unknown type escaped");
  }
  return {p.problem(), p.was_accepted(), p.most_allocated(), p.most_allocated_input()};
}

const target* find_target(std::string_view name) {
  for (const auto& t : all_targets())
    if (t.name == name)
      return &t;
  return nullptr;
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

// False on failure (reported).
bool run_target(const target& t, double budget_seconds) {
  const auto& o = opts();
  now_running = current_run{t.name, o.seed, std::nullopt, {}};
  auto report = [&](const std::string& problem) {
    describe(now_running, problem);
    BOOST_ERROR("fuzz target " << t.name << ": " << problem << " (seed " << o.seed
                               << "; the input is printed above)");
    now_running = {};
    return false;
  };
  if (o.input || o.iteration) {
    if (o.iteration) {
      now_running.iteration = o.iteration;
      now_running.input = make_input(t, o.seed, *o.iteration);
    } else if (auto bytes = from_hex(*o.input)) {
      now_running.input = std::move(*bytes);
    } else {
      BOOST_FAIL("--input is not hex");
    }
    auto got = check_one(t, now_running.input);
    std::cout << "fuzz " << t.name << ": replayed one input of " << now_running.input.size()
              << " bytes: " << (got.problem ? *got.problem : "fine")
              << (got.accepted ? " (accepted)" : " (refused)") << '\n';
    if (got.problem)
      return report(*got.problem);
    now_running = {};
    return true;
  }
  for (const auto& seed_input : t.seeds) {
    now_running.input = seed_input;
    auto got = check_one(t, seed_input);
    if (!got.problem && !got.accepted)
      got.problem = "a seed input was refused (the seeds must be valid)";
    if (got.problem)
      return report("seed input: " + *got.problem);
  }
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto deadline = start + std::chrono::duration<double>(budget_seconds);
  std::uint64_t iterations = 0;
  std::uint64_t accepted = 0;
  std::size_t most = 0;
  std::size_t most_input = 0;
  // Per input byte, over inputs large enough for the constant not to count.
  double worst_ratio = 0;
  constexpr std::size_t ratio_from = 256;
  while (o.iterations ? iterations < *o.iterations : clock::now() < deadline) {
    now_running.iteration = iterations;
    now_running.input = make_input(t, o.seed, iterations);
    auto got = check_one(t, now_running.input);
    if (got.problem)
      return report(*got.problem);
    ++iterations;
    accepted += got.accepted ? 1 : 0;
    if (got.allocated > most) {
      most = got.allocated;
      most_input = got.allocated_input;
    }
    if (got.allocated_input >= ratio_from)
      worst_ratio = std::max(worst_ratio, static_cast<double>(got.allocated) /
                                              static_cast<double>(got.allocated_input));
  }
  std::chrono::duration<double> took = clock::now() - start;
  char line[512];
  std::snprintf(line, sizeof(line),
                "fuzz %-38s seed %llu: %7llu iterations in %5.2f s, %3.0f%% accepted; "
                "allocated at most %zu bytes (input of %zu bytes), %.1f/input byte at most "
                "(inputs >= %zu bytes); bound %zu/byte + %zu",
                t.name.c_str(), static_cast<unsigned long long>(o.seed),
                static_cast<unsigned long long>(iterations), took.count(),
                iterations ? 100.0 * static_cast<double>(accepted) / static_cast<double>(iterations)
                           : 0.0,
                most, most_input, worst_ratio, ratio_from, t.bound.per_byte, t.bound.constant);
  std::cout << line << std::endl;
  now_running = {};
  return true;
}

} // namespace

void probe::start_counting() {
  counted = 0;
  counting = true;
}

void probe::stop_counting(std::size_t input_bytes) {
  counting = false;
  if (counted > most_allocated_) {
    most_allocated_ = counted;
    most_allocated_input_ = input_bytes;
  }
  if (counted > bound_.for_input(input_bytes))
    fail("decoding " + std::to_string(input_bytes) + " bytes allocated " + std::to_string(counted) +
         " bytes, over the bound of " + std::to_string(bound_.per_byte) + " per input byte + " +
         std::to_string(bound_.constant));
}

const std::vector<target>& all_targets() {
  static const std::vector<target> targets = [] {
    std::vector<target> out;
    add_protocol_targets(out);
    add_store_targets(out);
    add_storage_targets(out);
    add_redis_targets(out);
    return out;
  }();
  return targets;
}

bool run_group(std::string_view group) {
  install_reporters();
  const auto& o = opts();
  if (!hooks_installed())
    std::cout << "fuzz: built without the sanitizer runtime; allocations are not counted\n";
  double total_weight = 0;
  for (const auto& t : all_targets())
    if (selected(t))
      total_weight += t.weight;
  if ((o.iteration || o.input) && o.only.empty())
    BOOST_FAIL("--iteration and --input need --target NAME");
  bool ok = true;
  for (const auto& t : all_targets())
    if (t.group == group && selected(t))
      ok = run_target(t, o.seconds * t.weight / total_weight) && ok;
  return ok;
}

std::optional<std::string> check_input(std::string_view target_name, std::string_view input) {
  install_reporters();
  hooks_installed();
  const target* t = find_target(target_name);
  if (t == nullptr)
    return "no fuzz target named " + std::string{target_name};
  now_running = current_run{t->name, 0, std::nullopt, std::string{input}};
  auto got = check_one(*t, input);
  now_running = {};
  return got.problem;
}

std::string make_input(const target& t, std::uint64_t seed, std::uint64_t iteration) {
  rng mixer{seed ^ fnv1a(t.name)};
  rng r{mixer.next() ^ (iteration * 0xd1b54a32d192ed03ull)};
  std::string bytes = t.seeds[r.below(t.seeds.size())];
  std::size_t rounds = 1 + r.below(4);
  if (r.chance(20))
    rounds += r.below(12);
  for (std::size_t i = 0; i < rounds; ++i) {
    if (t.structured && r.chance(70))
      t.structured(bytes, r);
    else
      mutate_once(bytes, r, t.seeds);
  }
  if (t.fixup && r.chance(75))
    t.fixup(bytes, r);
  return bytes;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0)
    return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int high = nibble(hex[i]);
    int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

} // namespace dref::fuzz
