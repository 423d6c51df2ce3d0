// ref<T> semantics every backend must provide (run here on memory).

#include "cluster_fixture.hpp"
#include "dref/json_codec.hpp"
#include "wait_until.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

using namespace dref;
using namespace std::chrono_literals;

namespace {

using cluster = test::conformance_cluster;

errc code_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const error_exception& e) {
    return e.error().code;
  }
  BOOST_FAIL("expected a dref::error_exception");
  return errc::internal;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ref_conformance)

BOOST_FIXTURE_TEST_CASE(make_get_set, cluster) {
  auto r = node(0).make<std::string>("first", manual_id("c/make-get-set"));
  BOOST_TEST(r.get() == "first");
  auto v1 = r.get_versioned().version;
  auto v2 = r.set("second");
  BOOST_TEST(v2 > v1);
  BOOST_TEST(r.get() == "second");
  // Another node sees the write.
  BOOST_TEST(node(1).existing<std::string>(manual_id("c/make-get-set")).get() == "second");
}

BOOST_FIXTURE_TEST_CASE(make_never_overwrites, cluster) {
  auto a = node(0).make<int>(1, manual_id("c/never-overwrites"));
  a.set(5);
  auto b = node(1).make<int>(2, manual_id("c/never-overwrites"));
  BOOST_TEST(b.get() == 5);
  BOOST_TEST(a.get() == 5);
}

BOOST_FIXTURE_TEST_CASE(auto_ids_are_per_call_site, cluster) {
  auto make_here = [&](context& ctx) { return ctx.make<int>(7); }; // one call site
  auto a = make_here(node(0));
  auto b = make_here(node(1));
  BOOST_TEST(a.id() == b.id());
  a.set(8);
  BOOST_TEST(b.get() == 8);
  auto c = node(0).make<int>(9); // another call site
  BOOST_TEST(c.id() != a.id());
  BOOST_TEST(c.get() == 9);
}

BOOST_FIXTURE_TEST_CASE(get_on_a_missing_id_errors, cluster) {
  auto missing = node(0).existing<int>(manual_id("c/missing"));
  BOOST_TEST((code_of([&] { (void)missing.get(); }) == errc::not_found));
  auto tried = missing.try_get();
  BOOST_TEST_REQUIRE(!tried.has_value());
  BOOST_TEST(tried.error().message.find("c/missing") != std::string::npos);
}

// 40 threads on one value keep every update contended (most reads are stale
// by their compare-and-set); more only made the case the suites' longest
// (100 x 100 took 70 s over TLS) without another interleaving to find.
BOOST_FIXTURE_TEST_CASE(concurrent_increments_are_never_lost, cluster) {
  auto counter = node(0).make<std::int64_t>(0, manual_id("c/counter"));
  constexpr int workers = 40;
  constexpr int increments = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      auto mine =
          node(static_cast<std::size_t>(w) % 3).existing<std::int64_t>(manual_id("c/counter"));
      try {
        for (int i = 0; i < increments; ++i)
          mine.update([](std::int64_t n) { return n + 1; });
      } catch (const error_exception&) {
        ++failures;
      }
    });
  for (auto& t : threads)
    t.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(counter.get() == workers * increments);
}

BOOST_FIXTURE_TEST_CASE(compare_and_set, cluster) {
  auto r = node(0).make<int>(1, manual_id("c/cas"));
  BOOST_TEST(!r.compare_and_set(2, 3));
  BOOST_TEST(r.get() == 1);
  BOOST_TEST(r.compare_and_set(1, 3));
  BOOST_TEST(r.get() == 3);
}

BOOST_FIXTURE_TEST_CASE(update_variants_return_old_and_new, cluster) {
  auto r = node(0).make<int>(10, manual_id("c/update-variants"));
  BOOST_TEST(r.update_and_get([](int n) { return n + 1; }) == 11);
  BOOST_TEST(r.get_and_update([](int n) { return n * 2; }) == 11);
  BOOST_TEST(r.get() == 22);
  auto label = r.modify([](int n) { return std::pair{std::to_string(n), n - 2}; });
  BOOST_TEST(label == "22");
  BOOST_TEST(r.get() == 20);
}

BOOST_FIXTURE_TEST_CASE(validator_rejection_leaves_the_value_unchanged, cluster) {
  auto r = node(0).make<int>(1, manual_id("c/validator"));
  r.set_validator([](int n) { return n >= 0; });
  auto before = r.get_versioned();
  BOOST_TEST((code_of([&] { r.set(-1); }) == errc::validation_failed));
  BOOST_TEST((code_of([&] { r.update([](int) { return -5; }); }) == errc::validation_failed));
  BOOST_TEST((code_of([&] { (void)r.compare_and_set(1, -1); }) == errc::validation_failed));
  auto after = r.get_versioned();
  BOOST_TEST(after.value == 1);
  BOOST_TEST(after.version == before.version);
}

// As the seed's set-validator!: a validator the current value fails is
// refused, and the handle keeps the one it had.
BOOST_FIXTURE_TEST_CASE(a_validator_the_current_value_fails_is_refused, cluster) {
  auto r = node(0).make<int>(-3, manual_id("c/validator-now"));
  BOOST_TEST(
      (code_of([&] { r.set_validator([](int n) { return n >= 0; }); }) == errc::validation_failed));
  r.set(-4); // no validator was set
  r.set_validator([](int n) { return n < 0; });
  auto refused = r.try_set_validator([](int n) { return n > 100; });
  BOOST_TEST_REQUIRE(!refused);
  BOOST_TEST(refused.error().message.find("c/validator-now") != std::string::npos);
  BOOST_TEST((code_of([&] { r.set(5); }) == errc::validation_failed)); // the one it had
  r.set(-5);
  // An absent value passes any validator.
  auto fresh = node(1).existing<int>(manual_id("c/validator-absent"));
  BOOST_TEST(fresh.try_set_validator([](int n) { return n == 42; }).has_value());
  BOOST_TEST((code_of([&] { fresh.set(1); }) == errc::validation_failed));
  BOOST_TEST(node(2).existing<int>(manual_id("c/validator-now")).get() == -5);
}

// Metadata given at make, joined values keeping theirs, replaced by
// set_metadata with a change of its own, refused when malformed.
BOOST_FIXTURE_TEST_CASE(metadata_at_make_and_after, cluster) {
  auto id = manual_id("c/meta");
  auto made = node(0).make_or_join<int>(1, id, {{"owner", "ops"}, {"tier", "gold"}});
  BOOST_TEST(made.created);
  auto joined = node(1).make_or_join<int>(2, id, {{"owner", "someone else"}});
  BOOST_TEST(!joined.created);
  for (std::size_t n = 0; n < 3; ++n) {
    auto meta = node(n).existing<int>(id).metadata();
    BOOST_TEST(meta.size() == 2u);
    BOOST_TEST(meta["owner"] == "ops");
  }
  std::atomic<std::uint64_t> metadata_event{0};
  auto watch = node(2).existing<int>(id).on_change([&](const change<int>& c) {
    if (c.kind == change_kind::metadata)
      metadata_event = c.new_version;
  });
  auto version = made.handle.set_metadata({{"owner", "dev"}});
  BOOST_TEST(version > made.version);
  auto after = node(1).existing<int>(id).get_versioned();
  BOOST_TEST(after.value == 1);
  BOOST_TEST(after.version == version);
  BOOST_TEST((node(2).existing<int>(id).metadata() == protocol::metadata_map{{"owner", "dev"}}));
  BOOST_TEST_REQUIRE(test::wait_until([&] { return metadata_event == version; }));
  // A value created again after a removal starts without metadata.
  made.handle.remove();
  BOOST_TEST(node(1).make<int>(3, id).metadata().empty());
  BOOST_TEST((code_of([&] {
                (void)node(0).make<int>(1, manual_id("c/meta-bad"), {{"", "x"}});
              }) == errc::invalid_argument));
  BOOST_TEST(
      (code_of([&] {
         (void)node(0).make<int>(1, manual_id("c/meta-big"), {{"k", std::string(65 << 10, 'x')}});
       }) == errc::value_too_large));
  BOOST_TEST(
      (node(1).existing<int>(manual_id("c/meta-bad")).try_get().error().code == errc::not_found));
}

BOOST_FIXTURE_TEST_CASE(bad_ids_and_oversize_values_are_clear_errors, cluster) {
  BOOST_TEST(
      (code_of([&] { (void)node(0).make<int>(1, manual_id("has space")); }) == errc::invalid_id));
  BOOST_TEST((code_of([&] { (void)node(0).make<int>(1, manual_id("")); }) == errc::invalid_id));
  BOOST_TEST((code_of([&] { (void)node(0).make<int>(1, manual_id(std::string(300, 'x'))); }) ==
              errc::invalid_id));
  auto big = node(0).make<std::string>("", manual_id("c/big"));
  BOOST_TEST((code_of([&] { big.set(std::string(2 << 20, 'x')); }) == errc::value_too_large));
  BOOST_TEST(big.get().empty());
}

BOOST_FIXTURE_TEST_CASE(wrong_type_is_a_clear_error, cluster) {
  auto text = node(0).make<std::string>("not a number", manual_id("c/typed"));
  auto number = node(1).existing<std::int64_t>(manual_id("c/typed"));
  BOOST_TEST((code_of([&] { (void)number.get(); }) == errc::wrong_type));
}

BOOST_FIXTURE_TEST_CASE(large_values_update_through_patches, cluster) {
  std::vector<std::int64_t> initial(100'000, 7);
  auto r = node(0).make<std::vector<std::int64_t>>(initial, manual_id("c/large"));
  r.update([](std::vector<std::int64_t> v) {
    v[50'000] = 8;
    return v;
  });
  auto seen = node(1).existing<std::vector<std::int64_t>>(manual_id("c/large")).get();
  BOOST_TEST(seen[50'000] == 8);
  BOOST_TEST(seen[49'999] == 7);
}

BOOST_FIXTURE_TEST_CASE(json_codec_per_ref, cluster) {
  auto r = node(0).make<int, json_codec<int>>(41, manual_id("c/json"));
  r.update([](int n) { return n + 1; });
  auto raw = node(1).existing<std::string, json_codec<std::string>>(manual_id("c/json"));
  BOOST_TEST((code_of([&] { (void)raw.get(); }) == errc::wrong_type));
  BOOST_TEST(r.get() == 42);
}

BOOST_FIXTURE_TEST_CASE(calls_after_shutdown_fail_clearly, cluster) {
  auto r = node(2).make<int>(1, manual_id("c/shutdown"));
  node(2).shutdown();
  BOOST_TEST((code_of([&] { (void)r.get(); }) == errc::shutting_down));
  BOOST_TEST(node(0).existing<int>(manual_id("c/shutdown")).get() == 1);
}

BOOST_FIXTURE_TEST_CASE(timeout_variants, cluster) {
  auto r = node(0).make<int>(1, manual_id("c/timeout"));
  auto got = r.try_get(5s);
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(*got == 1);
  BOOST_TEST(r.try_set(2, 5s).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
