// Named commands and queries in the store (named_commands.hpp has the
// contract): a command's own answer; one that leaves the value as it was
// writes nothing; queries answer without changing anything; a throwing or
// failing command or query changes nothing; the registry's fingerprint.

#include "store_fixture.hpp"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

using namespace dref;
using namespace dref::protocol;
using dref::test::store_fixture;

namespace {

// A stack of bytes: "push" appends its argument and answers the old size,
// "pop" takes the last byte (none on an empty stack: unchanged), "boom"
// throws, "size" and "peek" are queries.
std::shared_ptr<const store::command_registry> stack_commands() {
  auto r = store::with_builtins();
  using current_t = const std::optional<std::string_view>&;
  (void)r.add("push", "1",
              [](current_t cur, std::string_view arg) -> result<store::command_outcome> {
                std::string now{cur.value_or("")};
                auto before = std::to_string(now.size());
                return store::command_outcome{now + std::string{arg}, before};
              });
  (void)r.add("pop", "1", [](current_t cur, std::string_view) -> result<store::command_outcome> {
    if (!cur || cur->empty())
      return store::command_outcome{std::nullopt, "empty"};
    return store::command_outcome{std::string{cur->substr(0, cur->size() - 1)},
                                  std::string{cur->substr(cur->size() - 1)}};
  });
  (void)r.add("boom", "1", [](current_t, std::string_view) -> result<store::command_outcome> {
    throw std::runtime_error("the stack fell over");
  });
  (void)r.add("refuse", "1", [](current_t, std::string_view) -> result<store::command_outcome> {
    return error{errc::invalid_argument, "not today"};
  });
  (void)r.add_query("size", "2", [](current_t cur, std::string_view) -> result<std::string> {
    return std::to_string(cur.value_or("").size());
  });
  (void)r.add_query("peek", "1", [](current_t cur, std::string_view) -> result<std::string> {
    if (!cur || cur->empty())
      throw std::logic_error("nothing to peek at");
    return std::string{cur->substr(cur->size() - 1)};
  });
  return std::make_shared<const store::command_registry>(std::move(r));
}

struct stack_fixture : store_fixture {
  stack_fixture() { s = store::store{{}, stack_commands()}; }

  store::apply_outcome run_command(const std::string& name, const std::string& arg) {
    return run(cmd_run{"st", name, arg});
  }
  store_read_reply query(const std::string& name) {
    store_read request{read_kind::query, "st", 0, 0};
    request.command = name;
    return s.read(request);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(named_commands)

BOOST_FIXTURE_TEST_CASE(a_command_answers_its_own_result, stack_fixture) {
  auto first = run_command("push", "a");
  BOOST_TEST_REQUIRE(!first.reply.error);
  BOOST_TEST(std::get<res_ran>(first.reply.value).value == "0");
  BOOST_TEST_REQUIRE(first.events.size() == 1u); // created, as any write
  BOOST_TEST((first.events[0].kind == event_kind::value_created));
  auto second = run_command("push", "b");
  BOOST_TEST(std::get<res_ran>(second.reply.value).value == "1");
  BOOST_TEST(std::get<res_ran>(second.reply.value).version == index);
  BOOST_TEST(value("st") == "ab");
  auto popped = run_command("pop", "");
  BOOST_TEST(std::get<res_ran>(popped.reply.value).value == "b");
  BOOST_TEST(value("st") == "a");
}

BOOST_FIXTURE_TEST_CASE(a_command_that_changes_nothing_writes_nothing, stack_fixture) {
  run_command("push", "a");
  run_command("pop", "");
  auto version = s.get("st").value().version;
  auto idle = run_command("pop", "");
  BOOST_TEST_REQUIRE(!idle.reply.error);
  BOOST_TEST(std::get<res_ran>(idle.reply.value).value == "empty");
  BOOST_TEST(std::get<res_ran>(idle.reply.value).version == version);
  BOOST_TEST(idle.events.empty());
  BOOST_TEST(s.get("st").value().version == version);
}

BOOST_FIXTURE_TEST_CASE(failing_and_unknown_commands_change_nothing, stack_fixture) {
  run_command("push", "a");
  fails(cmd_run{"st", "boom", ""}, errc::command_failed);
  auto boom = run_command("boom", "");
  BOOST_TEST(boom.reply.error->message.find("the stack fell over") != std::string::npos);
  fails(cmd_run{"st", "refuse", ""}, errc::invalid_argument);
  fails(cmd_run{"st", "shove", ""}, errc::unknown_command);
  fails(cmd_run{"st", "push", std::string(2 << 20, 'x')}, errc::value_too_large);
  BOOST_TEST(value("st") == "a");
}

BOOST_FIXTURE_TEST_CASE(queries_answer_without_changing_anything, stack_fixture) {
  run_command("push", "ab");
  auto before = s.state();
  auto size = query("size");
  BOOST_TEST_REQUIRE(!size.error);
  BOOST_TEST(std::get<query_answer>(size.value).answer == "2");
  BOOST_TEST(std::get<query_answer>(size.value).version == s.get("st").value().version);
  BOOST_TEST(std::get<query_answer>(query("peek").value).answer == "b");
  BOOST_TEST((s.state() == before));
  BOOST_TEST((query("nope").error->code == errc::unknown_command));
  BOOST_TEST((query("push").error->code == errc::unknown_command)); // a command is not a query
  run_command("pop", "");
  run_command("pop", "");
  auto thrown = query("peek");
  BOOST_TEST_REQUIRE(thrown.error.has_value());
  BOOST_TEST((thrown.error->code == errc::command_failed));
  BOOST_TEST(thrown.error->message.find("nothing to peek at") != std::string::npos);
  auto unnamed = query("");
  BOOST_TEST((unnamed.error->code == errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(a_fingerprint_names_every_command_and_query_with_its_version) {
  auto fingerprint = stack_commands()->fingerprint();
  std::vector<std::string> expected{"command add_i64@1", "command boom@1",   "command pop@1",
                                    "command push@1",    "command refuse@1", "query peek@1",
                                    "query size@2"};
  BOOST_TEST(fingerprint == expected, boost::test_tools::per_element());
  store::command_registry r;
  BOOST_TEST((r.add("x", "", nullptr).error().code == errc::invalid_argument));
  BOOST_TEST((r.add_query("", "1", nullptr).error().code == errc::invalid_argument));
  BOOST_TEST(r.add_query("x", "1", nullptr).has_value()); // queries have names of their own
  BOOST_TEST((r.add_query("x", "2", nullptr).error().code == errc::already_exists));
}

BOOST_FIXTURE_TEST_CASE(a_restored_store_runs_the_commands_it_is_given, stack_fixture) {
  run_command("push", "a");
  auto restored = store::store::restore(s.snapshot(), {}, s.commands());
  BOOST_TEST_REQUIRE(restored.has_value());
  auto out = restored->apply(++index, store_proposal{0, 0, 0, now, cmd_run{"st", "push", "b"}});
  BOOST_TEST(!out.reply.error);
  BOOST_TEST(restored->get("st").value().value == "ab");
}

BOOST_AUTO_TEST_SUITE_END()
