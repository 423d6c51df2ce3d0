#include "samples.hpp"

#include "dref/protocol/codec.hpp"

#include <variant>

namespace dref::fuzz::samples {

using namespace protocol;

namespace {

const std::string long_text(40, 'L'); // beyond the small-string buffer

metadata_map some_metadata() {
  return {{"content-type", "json"}, {"owner", long_text}, {"z", ""}};
}

} // namespace

std::vector<store_command> commands() {
  return {
      cmd_create_if_absent{"ref/a", "{\"n\":1}", some_metadata()},
      cmd_set{"ref/a", long_text},
      cmd_cas{"ref/a", 7, "v8"},
      cmd_patch{"ref/a", 8, std::string("dD\x01\0\x05\0\0\0", 8) + "12345678zz"},
      cmd_remove{"ref/b"},
      cmd_set_metadata{"ref/a", {{"k", "v"}}},
      cmd_run{"counter", "add_i64", "5"},
      cmd_session_open{"s1", 5000},
      cmd_session_keepalive{"s1"},
      cmd_session_close{"s2"},
      cmd_expire_due{},
      cmd_lock_acquire{"lock/x", "s1", "thread-1", true},
      cmd_lock_release{"lock/x", "s1", "thread-1", 42},
      cmd_lock_cancel_wait{"lock/x", "s2", "thread-9"},
      cmd_publish{"topic/t", "hello"},
      cmd_topic_configure{"topic/t", 100, 1 << 20},
      cmd_promise_deliver{"promise/p", "done"},
      cmd_delay_claim{"delay/d", "s1"},
      cmd_delay_complete{"delay/d", "s1", "result"},
      cmd_fenced{write_fence{"lock/x", 42}, cmd_set{"ref/a", "fenced"}},
      cmd_txn{{{"ref/a", 3}, {"ref/new", 0}},
              {{"ref/a", false, "x", "owner"}, {"ref/b", true, "", ""}}},
      cmd_delay_request{"delay/d"},
      cmd_delay_fail{"delay/d", "s1", "the body threw"},
      cmd_set_owned{"ref/owned", "v", "s1", true},
      cmd_lock_hand_over{"lock/x", "s1", "thread-1", 42, "thread-9"},
  };
}

std::vector<store_proposal> proposals() {
  std::vector<store_proposal> out;
  std::uint64_t sequence = 0;
  for (auto& command : commands()) {
    ++sequence;
    out.push_back(store_proposal{sequence % 3 == 0 ? 0u : 77u, sequence, sequence / 2,
                                 1'700'000'000'000 + sequence, std::move(command)});
  }
  return out;
}

std::vector<store_reply> replies() {
  std::vector<store_reply> out{
      {std::nullopt, res_created{true, 3, ""}},
      {std::nullopt, res_created{false, 9, long_text}},
      {std::nullopt, res_written{12}},
      {std::nullopt, res_ran{13, "18"}},
      {std::nullopt, res_removed{true, 4}},
      {std::nullopt, res_session{123456}},
      {std::nullopt, res_lock{true, 99, 2, 0}},
      {std::nullopt, res_released{1, true}},
      {std::nullopt, res_published{5}},
      {std::nullopt, res_delivered{false, 6, "earlier"}},
      {std::nullopt, res_delay{delay_claim_state::completed, "s1", "out"}},
      {std::nullopt, res_txn{true, 44, 0, 0}},
      {std::nullopt, res_delay{delay_claim_state::requested, "", ""}},
      {dref::error{errc::version_conflict, "ref 'a' is at version 7, expected 5"}, res_done{}},
  };
  return out;
}

std::vector<store_event> events() {
  store_event written;
  written.kind = event_kind::value_written;
  written.id = "ref/a";
  written.old_version = 3;
  written.new_version = 4;
  written.payload_type = payload_kind::full;
  written.payload = long_text;
  written.old_value = "old";
  store_event lock = written;
  lock.kind = event_kind::lock_granted;
  lock.payload_type = payload_kind::none;
  lock.payload.clear();
  lock.old_value.reset();
  lock.session = "s1";
  lock.owner = "thread-1";
  lock.number = 42;
  return {written, lock, store_event{}};
}

std::vector<store_read> reads() {
  return {{read_kind::value, "ref/a", 0, 0},        {read_kind::lock, "lock/x", 0, 0},
          {read_kind::topic, "topic/t", 3, 10},     {read_kind::promise, "promise/p", 0, 0},
          {read_kind::delay, "delay/d", 0, 0},      {read_kind::session, "s1", 0, 0},
          {read_kind::list, "ref/", 0, 50, "ref/a"}};
}

std::vector<store_read_reply> read_replies() {
  lock_state lock{true, "s1", "thread-1", 42, 2, {{"s2", "w1"}, {"s3", long_text}}};
  topic_page page{3, 6, {{3, "a"}, {4, long_text}, {5, ""}}};
  return {
      {std::nullopt, value_state{"v", 7, some_metadata(), "session-1"}, 10},
      {std::nullopt, lock, 11},
      {std::nullopt, page, 12},
      {std::nullopt, promise_state{true, 4, "p"}, 13},
      {std::nullopt, delay_state{true, "s1", false, ""}, 14},
      {std::nullopt, session_state{5000, 123456}, 15},
      {std::nullopt, list_page{17, {{"ref/a", 3}, {"ref/b", 17}, {long_text, 9}}, true}, 17},
      {dref::error{errc::not_found, "ref 'x' does not exist"}, value_state{}, 16},
  };
}

std::vector<raft_log_entry> log_entries() {
  raft_log_entry normal{3, 10, raft_entry_type::normal, 77, 5, encode(proposals()[1])};
  raft_log_entry config{3, 11, raft_entry_type::config,
                        0, 0,  encode(raft_conf_change{raft_conf_change_type::add_learner, 4})};
  raft_log_entry noop{4, 12, raft_entry_type::noop, 0, 0, ""};
  return {normal, config, noop};
}

std::vector<raft_snapshot_metadata> snapshot_metadata() {
  return {{100, 4, {{1, 2, 3}, {4}}}, {0, 0, {}}};
}

std::vector<raft_message> raft_messages() {
  auto entries = log_entries();
  std::vector<raft_payload> payloads{
      raft_vote_request{12, 3, true, false},
      raft_vote_response{true, true},
      raft_append_entries{9, 3, 8, entries},
      raft_append_response{false, 0, 9, 5, 2},
      raft_heartbeat{8, "read-7"},
      raft_heartbeat_response{"read-7"},
      raft_install_snapshot{snapshot_metadata()[0], 4096, long_text, true},
      raft_install_snapshot_response{100, 8192, false},
      raft_timeout_now{},
      raft_read_index_request{"r-1"},
      raft_read_index_response{"r-1", 99},
  };
  std::vector<raft_message> out;
  for (auto& payload : payloads)
    out.push_back(raft_message{1, 2, 5, std::move(payload)});
  return out;
}

std::vector<node_status> node_statuses() {
  node_status status{"n1",
                     "127.0.0.1:4000",
                     "leader",
                     "n1",
                     5,
                     100,
                     99,
                     50,
                     {{"n1", "127.0.0.1:4000", true, true},
                      {"n2", "", true, false},
                      {"n3-with-a-long-name-past-sso", "10.0.0.3:4000", false, true}}};
  return {status, node_status{}};
}

} // namespace dref::fuzz::samples
