#include "commands.hpp"
#include "errors.hpp"

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>

namespace drefctl {

namespace {

volatile std::sig_atomic_t interrupted = 0;

} // namespace

void catch_interrupts() {
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
}

namespace {

const char* kind_name(dref::change_kind kind) {
  switch (kind) {
    case dref::change_kind::created:
      return "created";
    case dref::change_kind::written:
      return "written";
    case dref::change_kind::removed:
      return "removed";
    case dref::change_kind::metadata:
      return "metadata";
    case dref::change_kind::caught_up:
      return "caught_up";
  }
  return "changed";
}

bool has_new_value(dref::change_kind kind) {
  return kind == dref::change_kind::created || kind == dref::change_kind::written ||
         kind == dref::change_kind::caught_up;
}

} // namespace

int run(session& s, const watch_command& cmd) {
  std::mutex mutex;
  std::condition_variable printed_one;
  std::uint64_t printed = 0;
  auto done = [&] { return cmd.count && printed >= *cmd.count; };
  // Events come on the subscription's thread; past --count they are dropped.
  auto emit = [&](const printable& event) {
    std::lock_guard lock{mutex};
    if (done())
      return;
    s.print(event);
    ++printed;
    printed_one.notify_all();
  };
  // A name that is no ref is a topic, unless --topic says so up front.
  bool as_topic = cmd.force_topic;
  if (!as_topic && !cmd.prefix) {
    auto current = s.raw_ref(cmd.name).try_get_versioned();
    if (!current && current.error().code != dref::errc::not_found)
      throw command_failed{current.error()};
    as_topic = !current;
  }
  dref::subscription subscription;
  try {
    if (cmd.prefix) {
      subscription = s.context().watch_prefix<std::string, dref::raw_codec>(
          cmd.name, [&](const std::string& id, const dref::change<std::string>& c) {
            emit(prefix_change{id, kind_name(c.kind), c.new_version,
                               has_new_value(c.kind) ? c.new_value : std::nullopt});
          });
    } else if (as_topic) {
      auto topic = s.context().make_topic<std::string, dref::raw_codec>(dref::manual_id(cmd.name));
      subscription =
          topic.subscribe_from(cmd.from, [&](std::uint64_t seq, const std::string& message) {
            emit(topic_message{cmd.name, seq, message});
          });
    } else {
      subscription = s.raw_ref(cmd.name).on_change(
          [&](const std::string& old_value, const std::string& value) {
            emit(ref_change{cmd.name, old_value, value});
          });
    }
  } catch (const dref::error_exception& ex) {
    throw command_failed{ex.error()};
  }
  std::cerr << "drefctl: watching "
            << (cmd.prefix ? "prefix "
                : as_topic ? "topic "
                           : "ref ")
            << cmd.name << (cmd.count ? "" : " until SIGINT") << '\n';
  std::unique_lock lock{mutex};
  // Polled as well as notified: a signal handler cannot notify.
  while (!interrupted && !done())
    printed_one.wait_for(lock, std::chrono::milliseconds{100});
  lock.unlock();
  subscription = {};
  return exit_ok;
}

} // namespace drefctl
