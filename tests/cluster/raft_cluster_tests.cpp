// Real dref-node processes on loopback, used through contexts connected to
// them over the network: crashes (kill -9), restarts from the data
// directory, a member cut off and healed; and drefctl against them:
// values, locks, topics, membership changes (a 4th member joins through a
// snapshot, one leaves) and leadership transfer.

#include "dref/barrier.hpp"
#include "dref/semaphore.hpp"
#include "process_cluster.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>
#include <iostream>

using namespace dref;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::cli_result;
using test::count_of;
using test::drefctl;
using test::file_text;
using test::process_cluster;

namespace {

// drefctl against c's members, with a 3 s timeout per request.
auto drefctl_at(process_cluster& c) {
  return [&c](std::vector<std::string> args) {
    args.insert(args.begin(), {"--endpoints", c.endpoints(), "--timeout", "3s"});
    auto r = drefctl(args);
    BOOST_TEST_MESSAGE("drefctl " << args[4] << " -> " << r.code << ": " << r.out << r.err);
    return r;
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(raft_cluster)

BOOST_AUTO_TEST_CASE(kill_9_of_the_leader_loses_no_acknowledged_write) {
  process_cluster c;
  auto leader = c.leader();
  BOOST_REQUIRE(leader);
  auto followers = std::vector<std::size_t>{};
  for (std::size_t i = 0; i < 3; ++i)
    if (i != *leader)
      followers.push_back(i);
  (void)c.ctx(followers[0]).make<std::int64_t>(0, manual_id("load/counter"));

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> acked{0};
  std::atomic<std::int64_t> unknown{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      auto counter = c.ctx(followers[static_cast<std::size_t>(w) % 2])
                         .existing<std::int64_t>(manual_id("load/counter"));
      while (!stop) {
        try {
          counter.update([](std::int64_t v) { return v + 1; });
          ++acked;
        } catch (const error_exception&) {
          ++unknown; // timeout or unavailable: may or may not have happened
        }
      }
    });
  std::this_thread::sleep_for(1s);
  auto acked_before = acked.load();
  auto killed_at = std::chrono::steady_clock::now();
  c.nodes[*leader]->kill_hard();
  // Writes resume: wait for acknowledgements after the kill.
  while (std::chrono::steady_clock::now() - killed_at < 10s && acked.load() == acked_before)
    std::this_thread::sleep_for(1ms);
  auto resumed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - killed_at)
                        .count();
  while (std::chrono::steady_clock::now() - killed_at < 10s && acked.load() < acked_before + 50)
    std::this_thread::sleep_for(10ms);
  auto acked_after_kill = acked.load() - acked_before;
  stop = true;
  for (auto& t : writers)
    t.join();

  auto value = c.ctx(followers[0]).existing<std::int64_t>(manual_id("load/counter")).get();
  std::cout << "kill -9 leader: " << acked_before << " acked before, " << acked_after_kill
            << " after; final value " << value << ", acked " << acked.load() << ", unknown outcome "
            << unknown.load() << "; first write acknowledged " << resumed_ms
            << " ms after the kill\n";
  BOOST_TEST(acked_after_kill >= 50);
  BOOST_TEST(value >= acked.load());
  BOOST_TEST(value <= acked.load() + unknown.load());
  // A write the followers had forwarded to the dead leader is routed to the
  // new one, well within the caller's timeout: none ends unknown.
  BOOST_TEST(unknown.load() == 0);
  auto new_leader = c.leader();
  BOOST_REQUIRE(new_leader);
  BOOST_TEST(*new_leader != *leader);
}

BOOST_AUTO_TEST_CASE(a_restarted_member_recovers_from_its_data_dir) {
  process_cluster c;
  auto r = c.ctx(0).make<std::string>("v0", manual_id("restart/value"));
  for (int i = 1; i <= 20; ++i)
    r.set("v" + std::to_string(i));
  BOOST_TEST(c.nodes[2]->stop() == 0); // SIGTERM: clean shutdown
  for (int i = 21; i <= 40; ++i)
    r.set("v" + std::to_string(i));
  c.restart(2);
  // It replays its own log, then catches up with what it missed.
  auto leader_status = c.members[0].status(c.sys, 5s);
  BOOST_REQUIRE(leader_status.has_value());
  auto target = leader_status->commit_index;
  std::uint64_t applied = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && applied < target) {
    if (auto st = c.members[2].status(c.sys, 5s))
      applied = st->applied_index;
    std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(applied >= target);
  BOOST_TEST(c.ctx(2).existing<std::string>(manual_id("restart/value")).get() == "v40");
}

BOOST_AUTO_TEST_CASE(a_member_cut_off_catches_up_after_healing) {
  process_cluster c;
  auto leader = c.leader();
  BOOST_REQUIRE(leader);
  auto cut = (*leader + 1) % 3;
  auto other = (*leader + 2) % 3;
  for (auto i : {*leader, other}) {
    c.members[i].set_link_cut(c.name(cut), true);
    c.members[cut].set_link_cut(c.name(i), true);
  }
  auto r = c.ctx(*leader).make<int>(0, manual_id("cut/value"));
  for (int i = 1; i <= 30; ++i)
    r.set(i);
  // The majority goes on; the cut member cannot answer a linearizable read.
  BOOST_TEST(c.ctx(other).existing<int>(manual_id("cut/value")).get() == 30);
  auto isolated = c.ctx(cut).existing<int>(manual_id("cut/value"));
  BOOST_TEST(!isolated.try_get(std::chrono::milliseconds{500}).has_value());
  for (auto i : {*leader, other}) {
    c.members[i].set_link_cut(c.name(cut), false);
    c.members[cut].set_link_cut(c.name(i), false);
  }
  int seen = -1;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && seen != 30) {
    if (auto v = isolated.try_get(std::chrono::milliseconds{500}))
      seen = *v;
  }
  BOOST_TEST(seen == 30);
}

BOOST_AUTO_TEST_CASE(drefctl_values_locks_topics_and_exit_codes) {
  process_cluster c;
  BOOST_REQUIRE(c.leader());
  auto at = drefctl_at(c);
  auto status = at({"status"});
  BOOST_TEST(status.code == 0);
  BOOST_TEST(count_of(status.out, "leader ") >= 1u);
  BOOST_TEST(count_of(status.out, "127.0.0.1:") == 3u);
  auto status_json = at({"--json", "status"});
  // One member leads; a deposed one may not know yet for an instant.
  BOOST_TEST(count_of(status_json.out, "\"role\":\"leader\"") >= 1u);

  auto set = at({"set", "ctl/greeting", "hello"});
  BOOST_TEST(set.code == 0);
  BOOST_TEST(set.out.starts_with("version "));
  auto version = set.out.substr(8, set.out.size() - 9);
  auto got = at({"--json", "get", "ctl/greeting"});
  BOOST_TEST(got.code == 0);
  BOOST_TEST(got.out ==
             "{\"id\":\"ctl/greeting\",\"value\":\"hello\",\"version\":" + version + "}\n");
  // A context sees what drefctl wrote (raw bytes).
  auto greeting = c.ctx(1).existing<std::string, raw_codec>(manual_id("ctl/greeting"));
  BOOST_TEST(greeting.get() == "hello");

  auto stale = at({"cas", "ctl/greeting", "999999", "nope"});
  BOOST_TEST(stale.code == 3);
  BOOST_TEST(stale.err.find("version_conflict") != std::string::npos);
  auto cas = at({"cas", "ctl/greeting", version, "world"});
  BOOST_TEST(cas.code == 0);
  BOOST_TEST(at({"get", "ctl/greeting"}).out.starts_with("world\n"));

  BOOST_TEST(at({"add", "ctl/counter", "5"}).out.starts_with("5\n"));
  auto added = at({"--json", "add", "ctl/counter", "-2"});
  BOOST_TEST(added.code == 0);
  BOOST_TEST(added.out.find("\"value\":3") != std::string::npos);
  BOOST_TEST(at({"add", "ctl/greeting", "1"}).code == 1); // not a counter

  // The lock runs the command with the fencing token; tokens grow.
  auto first = at({"lock", "ctl/lock", "--", "sh", "-c", "echo token=$DREF_FENCING_TOKEN"});
  BOOST_TEST(first.code == 0);
  auto second =
      at({"lock", "ctl/lock", "--", "sh", "-c", "echo token=$DREF_FENCING_TOKEN; exit 7"});
  BOOST_TEST(second.code == 7); // the command's own exit code
  BOOST_REQUIRE(first.out.starts_with("token=") && second.out.starts_with("token="));
  BOOST_TEST(std::stoull(second.out.substr(6)) > std::stoull(first.out.substr(6)));
  // While a context holds it, drefctl times out (exit 4) and runs nothing.
  {
    auto held = c.ctx(0).lock(manual_id("ctl/lock"));
    auto blocked = at({"--timeout", "300ms", "lock", "ctl/lock", "--", "sh", "-c", "echo ran"});
    BOOST_TEST(blocked.code == 4);
    BOOST_TEST(blocked.out.empty());
  }

  // A semaphore's permits: drefctl takes what is free; asking for more than
  // is free times out (exit 4) and runs nothing; more than the limit: 2.
  {
    auto held = semaphore::make(c.ctx(0), manual_id("ctl/sem"), 2).acquire(1);
    auto sem = at({"semaphore", "ctl/sem", "2", "--", "sh", "-c",
                   "echo token=$DREF_FENCING_TOKEN; " + std::string{DREFCTL_BIN} + " --endpoints " +
                       c.endpoints() + " ls ctl/sem/"});
    BOOST_TEST(sem.code == 0);
    BOOST_REQUIRE(sem.out.starts_with("token="));
    BOOST_TEST(std::stoull(sem.out.substr(6)) > held.fencing_token());
    BOOST_TEST(count_of(sem.out, "ctl/sem/") == 2u); // both requests in line while it ran
    auto busy = at({"--timeout", "300ms", "semaphore", "ctl/sem", "2", "--permits", "2", "--", "sh",
                    "-c", "echo ran"});
    BOOST_TEST(busy.code == 4);
    BOOST_TEST(busy.out.empty());
    BOOST_TEST(at({"semaphore", "ctl/sem", "2", "--permits", "3", "--", "true"}).code == 2);
  }
  BOOST_TEST(count_of(at({"ls", "ctl/sem/"}).out, "ctl/sem/") == 0u); // every request left
  // A barrier of two: drefctl goes on when a context arrives too, both in
  // round 0; alone, it times out (exit 4); a bad number of parties: 2.
  {
    auto arrived = std::async(std::launch::async, [&] { return at({"barrier", "ctl/bar", "2"}); });
    auto mine = barrier::make(c.ctx(0), manual_id("ctl/bar"), 2).try_arrive_and_wait(30s);
    auto theirs = arrived.get();
    BOOST_TEST(theirs.code == 0, theirs.err);
    BOOST_TEST(theirs.out == "round 0\n");
    BOOST_TEST_REQUIRE(mine.has_value());
    BOOST_TEST(*mine == 0u);
    BOOST_TEST(at({"--timeout", "300ms", "barrier", "ctl/bar", "2"}).code == 4);
    BOOST_TEST(at({"barrier", "ctl/bar", "1"}).code == 2);
  }

  // A write fenced by the lock drefctl holds commits (its command writes
  // with the token it was handed); once the lock is released, the same
  // token is refused: exit 3, not_holder, and the value stays.
  auto fenced = at({"lock", "ctl/fence", "--", "sh", "-c",
                    std::string{DREFCTL_BIN} + " --endpoints " + c.endpoints() +
                        " set ctl/fenced held --fence ctl/fence:$DREF_FENCING_TOKEN" +
                        " && echo token=$DREF_FENCING_TOKEN"});
  BOOST_TEST(fenced.code == 0);
  auto token_at = fenced.out.find("token=");
  BOOST_REQUIRE(token_at != std::string::npos);
  auto token = fenced.out.substr(token_at + 6, fenced.out.find('\n', token_at) - token_at - 6);
  auto late = at({"set", "ctl/fenced", "late", "--fence", "ctl/fence:" + token});
  BOOST_TEST(late.code == 3);
  BOOST_TEST(late.err.find("not_holder") != std::string::npos);
  BOOST_TEST(at({"get", "ctl/fenced"}).out.starts_with("held\n"));
  BOOST_TEST(at({"set", "ctl/fenced", "x", "--fence", "ctl/fence"}).code == 2);

  BOOST_TEST(at({"publish", "ctl/topic", "one"}).out == "seq 1\n");
  BOOST_TEST(at({"publish", "ctl/topic", "two"}).out == "seq 2\n");
  auto watched = at({"watch", "ctl/topic", "--from", "1", "--count", "2"});
  BOOST_TEST(watched.code == 0);
  BOOST_TEST(watched.out == "1 one\n2 two\n");

  // Usage errors: 2; an endpoint nobody listens on: 1.
  BOOST_TEST(at({"frobnicate"}).code == 2);
  BOOST_TEST(at({"cas", "ctl/greeting", "v1", "x"}).code == 2);
  auto malformed = at({"get", "bad id with spaces"});
  BOOST_TEST(malformed.code == 2);
  BOOST_TEST(malformed.err.find("invalid_id") != std::string::npos);
  BOOST_TEST(drefctl({"--timeout", "5", "status"}).code == 2);
  auto nobody = drefctl({"--endpoints", "127.0.0.1:1", "get", "ctl/greeting"});
  BOOST_TEST(nobody.code == 1);
  BOOST_TEST(nobody.err.find("no endpoint answers") != std::string::npos);
  BOOST_TEST(at({"get", "ctl/missing"}).code == 1);
}

// rm, ls and txn against real members: a removal a context sees, ids
// listed in order page by page (drefctl pages by itself), dref's own
// records never listed, a transaction committed or named where it failed,
// clear refusals.
BOOST_AUTO_TEST_CASE(drefctl_rm_ls_and_txn) {
  process_cluster c;
  BOOST_REQUIRE(c.leader());
  auto at = drefctl_at(c);
  for (auto id : {"ks/b", "ks/a", "ks/c", "other"})
    BOOST_TEST(at({"set", id, "x"}).code == 0);
  auto listed = at({"ls", "ks/"});
  BOOST_TEST(listed.code == 0);
  BOOST_TEST(count_of(listed.out, "\n") == 4u); // the header and three ids
  BOOST_TEST(listed.out.find("ks/a") < listed.out.find("ks/b"));
  BOOST_TEST(listed.out.find("ks/b") < listed.out.find("ks/c"));
  BOOST_TEST(listed.out.find("other") == std::string::npos);
  auto limited = at({"--json", "ls", "ks/", "--limit", "2"});
  BOOST_TEST(limited.code == 0);
  BOOST_TEST(limited.out.find("\"more\":true") != std::string::npos);
  BOOST_TEST(limited.out.find("\"consistent\":true") != std::string::npos);
  BOOST_TEST(count_of(limited.out, "\"id\":") == 2u);
  BOOST_TEST(at({"ls", "ks/", "--after", "ks/b"}).out.find("ks/a") == std::string::npos);
  // The members' own records (dref/members/...) are not listed, and not listable.
  BOOST_TEST(at({"ls", ""}).out.find("dref/") == std::string::npos);
  auto reserved = at({"ls", "dref/"});
  BOOST_TEST(reserved.code == 2);
  BOOST_TEST(reserved.err.find("not listed") != std::string::npos);
  BOOST_TEST(at({"ls", "ks/", "--limit", "0"}).code == 2);

  auto watched = c.ctx(0).existing<std::string, raw_codec>(manual_id("ks/b"));
  std::atomic<bool> saw_removal{false};
  auto watch = watched.on_change([&](const change<std::string>& ch) {
    if (ch.kind == change_kind::removed && ch.old_value == "x")
      saw_removal = true;
  });
  auto removed = at({"rm", "ks/b"});
  BOOST_TEST(removed.code == 0);
  BOOST_TEST(removed.out.starts_with("removed version "));
  for (int i = 0; i < 2000 && !saw_removal; ++i) // a guard against hanging, not a timing goal
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(saw_removal.load());
  BOOST_TEST(at({"get", "ks/b"}).code == 1);
  BOOST_TEST(at({"rm", "ks/b"}).out == "absent: nothing removed\n");
  BOOST_TEST(at({"--json", "rm", "ks/b"}).out ==
             "{\"id\":\"ks/b\",\"removed\":false,\"version\":0}\n");
  BOOST_TEST(at({"ls", "ks/"}).out.find("ks/b") == std::string::npos);

  // txn: every compare, then every write at one version, or nothing.
  auto a_version = std::to_string(
      c.ctx(0).existing<std::string, raw_codec>(manual_id("ks/a")).get_versioned().version);
  auto committed = at({"txn", "--if", "ks/a=" + a_version, "--if-absent", "ks/new", "--set",
                       "ks/a=y=z", "--set", "ks/new=n", "--rm", "ks/c"});
  BOOST_TEST(committed.code == 0, committed.err);
  BOOST_TEST(committed.out.starts_with("committed at version "), committed.out);
  auto version = committed.out.substr(std::string{"committed at version "}.size());
  BOOST_TEST(at({"get", "ks/a"}).out == "y=z\nversion " + version);
  BOOST_TEST(at({"get", "ks/new"}).out == "n\nversion " + version);
  BOOST_TEST(at({"get", "ks/c"}).code == 1);
  auto stale = at({"txn", "--if", "ks/a=" + a_version, "--set", "ks/a=w"});
  BOOST_TEST(stale.code == 3);
  BOOST_TEST(stale.out == "not committed: ks/a is version " +
                              version.substr(0, version.size() - 1) + ", expected version " +
                              a_version + "\n");
  auto stale_json = at({"--json", "txn", "--if-absent", "ks/a", "--set", "ks/a=w"});
  BOOST_TEST(stale_json.code == 3);
  BOOST_TEST(stale_json.out.find("\"committed\":false") != std::string::npos, stale_json.out);
  BOOST_TEST(stale_json.out.find("\"expected_version\":0") != std::string::npos, stale_json.out);
  BOOST_TEST(at({"get", "ks/a"}).out.starts_with("y=z\n"));
  BOOST_TEST(at({"txn"}).code == 2);
  BOOST_TEST(at({"txn", "--if", "ks/a"}).code == 2);
  BOOST_TEST(at({"txn", "--if", "ks/a=x1", "--set", "ks/a=1"}).code == 2);
  auto twice = at({"txn", "--set", "ks/a=1", "--rm", "ks/a"});
  BOOST_TEST(twice.code == 2);
  BOOST_TEST(twice.err.find("more than once") != std::string::npos, twice.err);

  // set --ttl: the value outlives the drefctl process and goes once its TTL
  // has passed; TTLs the store refuses, and --ttl with --fence, exit 2.
  // The TTL must outlast the next drefctl runs that read what it owns: with
  // four suites at once a run took long enough for 1500 ms to pass between
  // a txn and the second read after it.
  const std::string ttl = "5s";
  auto expiring = at({"set", "ks/ttl", "soon", "--ttl", ttl});
  BOOST_TEST(expiring.code == 0, expiring.err);
  BOOST_TEST(expiring.out.starts_with("version "), expiring.out);
  auto owned = at({"get", "ks/ttl"}).out;
  BOOST_TEST(owned.starts_with("soon\nversion "), owned);
  BOOST_TEST(owned.find("\nowner ttl-") != std::string::npos, owned); // its own session
  bool gone = false;
  std::string last_seen;
  auto ttl_set_at = std::chrono::steady_clock::now();
  while (!gone && std::chrono::steady_clock::now() - ttl_set_at < 60s) { // a guard, not a goal
    auto read = at({"get", "ks/ttl"});
    gone = read.code == 1;
    last_seen = read.out + read.err;
    if (!gone)
      std::this_thread::sleep_for(10ms);
  }
  BOOST_TEST(gone, "ks/ttl still there a minute after its TTL of " << ttl << ": " << last_seen);
  auto too_short = at({"set", "ks/ttl", "x", "--ttl", "1ms"});
  BOOST_TEST(too_short.code == 2, too_short.code << ": " << too_short.err);
  BOOST_TEST(too_short.err.find("TTL of 1 ms is refused") != std::string::npos, too_short.err);
  BOOST_TEST(at({"set", "ks/ttl", "x", "--ttl", "0s"}).code == 2);
  BOOST_TEST(at({"set", "ks/ttl", "x", "--ttl", "1s", "--fence", "L:1"}).code == 2);
  BOOST_TEST(at({"get", "ks/ttl"}).code == 1); // none of the refused ones wrote

  // txn --ttl: every --set of the txn is owned by one TTL session; a TTL the
  // store refuses writes none of them.
  auto txn_ttl = at({"txn", "--set", "ks/t1=a", "--set", "ks/t2=b", "--ttl", ttl});
  BOOST_TEST(txn_ttl.code == 0, txn_ttl.err);
  auto t1 = at({"get", "ks/t1"}).out;
  auto owner_at = t1.find("\nowner ttl-");
  BOOST_TEST_REQUIRE(owner_at != std::string::npos, t1);
  BOOST_TEST(at({"get", "ks/t2"}).out.ends_with(t1.substr(owner_at)));
  auto txn_set_at = std::chrono::steady_clock::now();
  gone = false;
  while (!gone && std::chrono::steady_clock::now() - txn_set_at < 60s) { // a guard, not a goal
    gone = at({"get", "ks/t1"}).code == 1 && at({"get", "ks/t2"}).code == 1;
    if (!gone)
      std::this_thread::sleep_for(10ms);
  }
  BOOST_TEST(gone, "ks/t1 or ks/t2 still there a minute after their TTL of " << ttl);
  auto txn_too_short = at({"txn", "--set", "ks/t3=a", "--set", "ks/t4=b", "--ttl", "1ms"});
  BOOST_TEST(txn_too_short.code == 2, txn_too_short.err);
  BOOST_TEST(txn_too_short.err.find("TTL of 1 ms is refused") != std::string::npos,
             txn_too_short.err);
  BOOST_TEST(at({"get", "ks/t3"}).code == 1);
}

// The member directory is dref's own record: a client write there (it used
// to end the raft actor of every member on a bad address, again after each
// restart, and to redirect a member's traffic on a good one) is refused, and
// every member stays up, also across a restart.
BOOST_AUTO_TEST_CASE(a_client_cannot_write_the_member_directory) {
  process_cluster c;
  BOOST_REQUIRE(c.leader());
  auto at = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--endpoints", c.endpoints(), "--timeout", "5s"});
    return drefctl(args);
  };
  for (auto address : {"1.2.3.4:http", "127.0.0.1:1"}) {
    auto refused = at({"set", "dref/members/node-2", address});
    BOOST_TEST(refused.code == 2, "drefctl set -> " << refused.code << ": " << refused.err);
    BOOST_TEST(refused.err.find("reserved") != std::string::npos, refused.err);
  }
  BOOST_TEST(at({"set", "dref/members/x", "1.2.3.4:http"}).code == 2); // invalid_argument
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(c.nodes[i]->running(), "member " << i << " still runs");
    BOOST_TEST(c.members[i].status(c.sys, 5s).has_value(), "member " << i << " answers");
  }
  // The directory still says where node-2 really listens.
  auto directory = at({"get", "dref/members/node-2"});
  BOOST_TEST(directory.code == 0);
  BOOST_TEST(directory.out.find(c.endpoint(1)) != std::string::npos, directory.out);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(c.nodes[i]->stop() == 0);
    c.start(i);
  }
  for (std::size_t i = 0; i < 3; ++i)
    BOOST_REQUIRE(test::wait_until_listening(c.ports[i], 10s));
  auto after = drefctl({"--endpoints", c.endpoints(), "--timeout", "10s", "set", "after", "1"});
  BOOST_TEST(after.code == 0, after.err);
  for (std::size_t i = 0; i < 3; ++i)
    BOOST_TEST(c.nodes[i]->running());
}

BOOST_AUTO_TEST_CASE(a_fourth_member_joins_from_a_snapshot_and_one_leaves) {
  // Members compact every 50 entries, so the newcomer's catch-up starts
  // from the leader's snapshot.
  process_cluster c{3, {"--snapshot-every", "50"}};
  BOOST_REQUIRE(c.leader());
  auto r = c.ctx(0).make<int>(0, manual_id("members/value"));
  for (int i = 1; i <= 120; ++i)
    r.set(i);
  auto joiner = c.start_joiner();
  auto at = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--endpoints", c.endpoint(0), "--timeout", "5s"});
    auto out = drefctl(args);
    BOOST_TEST_MESSAGE("drefctl -> " << out.code << ": " << out.out << out.err);
    return out;
  };
  auto bad_address = at({"members", "add", c.name(joiner), "nowhere"});
  BOOST_TEST(bad_address.code == 2);
  auto added = at({"members", "add", c.name(joiner), c.endpoint(joiner)});
  BOOST_TEST_REQUIRE(added.code == 0);
  BOOST_TEST(at({"members", "add", c.name(joiner), c.endpoint(joiner)}).code == 3); // duplicate
  // The learner catches up, then becomes a voter.
  auto leader_status = c.members[0].status(c.sys, 5s);
  BOOST_TEST_REQUIRE(leader_status.has_value());
  auto target = leader_status->commit_index;
  std::uint64_t applied = 0;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline && applied < target) {
    if (auto st = c.members[joiner].status(c.sys, 5s))
      applied = st->applied_index;
    std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(applied >= target);
  auto joined = c.members[joiner].status(c.sys, 5s);
  BOOST_REQUIRE(joined.has_value());
  BOOST_TEST(joined->snapshot_index > 0u); // it got a snapshot, not the whole log
  BOOST_TEST(at({"members", "promote", c.name(joiner)}).code == 0);
  auto listed = at({"members", "list"});
  BOOST_TEST(count_of(listed.out, "voter") == 4u);
  BOOST_TEST(c.ctx(joiner).existing<int>(manual_id("members/value")).get() == 120);

  // Leadership moves to the newcomer on request.
  BOOST_TEST(at({"transfer-leader", c.name(joiner)}).code == 0);
  auto st = c.members[0].status(c.sys, 5s);
  BOOST_REQUIRE(st.has_value());
  BOOST_TEST(st->leader == c.name(joiner));

  // Remove an original member; unknown names are refused with the list.
  auto unknown = at({"members", "remove", "node-9"});
  BOOST_TEST(unknown.code == 1);
  BOOST_TEST(unknown.err.find("no member named 'node-9'") != std::string::npos);
  BOOST_TEST(at({"members", "remove", c.name(2)}).code == 0);
  BOOST_TEST(count_of(at({"members", "list"}).out, "voter") == 3u);
  c.nodes[2]->stop();
  r.set(121); // three voters left, all up: writes go on
  BOOST_TEST(c.ctx(joiner).existing<int>(manual_id("members/value")).get() == 121);
}

BOOST_AUTO_TEST_CASE(a_corrupt_wal_stops_the_member_with_a_clear_error) {
  process_cluster c;
  auto r = c.ctx(0).make<int>(0, manual_id("wal/value"));
  for (int i = 1; i <= 20; ++i)
    r.set(i);
  BOOST_TEST(c.nodes[2]->stop() == 0);
  // Flip one byte inside an early record: later records are intact, so
  // this is damage, not a torn tail, and must not be silently cut off.
  fs::path wal;
  for (const auto& f : fs::directory_iterator{c.root / c.name(2)})
    if (f.path().filename().string().starts_with("wal-"))
      wal = f.path();
  BOOST_REQUIRE(!wal.empty());
  {
    std::fstream file{wal, std::ios::in | std::ios::out | std::ios::binary};
    file.seekg(100);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0xff);
    file.seekp(100);
    file.write(&byte, 1);
  }
  auto wal_size = fs::file_size(wal);
  c.start(2);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.nodes[2]->running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  BOOST_TEST_REQUIRE(!c.nodes[2]->running());
  int status = c.nodes[2]->stop();
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 1);
  auto log = file_text(c.root / (c.name(2) + ".log"));
  BOOST_TEST(log.find("damaged record at offset ") != std::string::npos, log);
  BOOST_TEST(log.find(wal.string()) != std::string::npos, log); // says where
  BOOST_TEST(fs::file_size(wal) == wal_size);                   // nothing was cut off
  // The two others go on.
  r.set(21);
  BOOST_TEST(c.ctx(1).existing<int>(manual_id("wal/value")).get() == 21);
}

BOOST_AUTO_TEST_CASE(two_members_with_one_node_id_are_refused) {
  std::string pattern = (fs::temp_directory_path() / "dref-dup-XXXXXX").string();
  fs::path root = ::mkdtemp(pattern.data());
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < 3; ++i)
    ports.push_back(test::free_loopback_port());
  std::string peers;
  for (auto p : ports)
    peers += (peers.empty() ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(p);
  std::vector<std::string> names{"node-1", "node-2", "node-1"};
  std::vector<std::unique_ptr<test::child_process>> nodes;
  for (std::size_t i = 0; i < 3; ++i)
    nodes.push_back(std::make_unique<test::child_process>(
        std::vector<std::string>{DREF_NODE_BIN, "--backend", "raft", "--node-id", names[i],
                                 "--port", std::to_string(ports[i]), "--data-dir",
                                 (root / std::to_string(i)).string(), "--peers", peers},
        (root / (std::to_string(i) + ".log")).string()));
  auto refused = [&] {
    for (int i : {0, 2})
      if (file_text(root / (std::to_string(i) + ".log")).find("is used by two nodes") !=
          std::string::npos)
        return true;
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!refused() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  BOOST_TEST(refused());
  // The third member hears one id from two addresses and names both.
  deadline = std::chrono::steady_clock::now() + 5s;
  while (file_text(root / "1.log").find("both use node id 'node-1'") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  BOOST_TEST(file_text(root / "1.log").find("both use node id 'node-1'") != std::string::npos);
  // No cluster formed from the clash: nobody leads.
  node_system_config cfg;
  caf::actor_system sys{cfg};
  for (auto port : ports) {
    auto st = raft_member::connect(sys, "127.0.0.1", port).status(sys, 1s);
    BOOST_REQUIRE(st.has_value());
    BOOST_TEST(st->role == "starting");
  }
  nodes.clear();
  std::error_code ec;
  fs::remove_all(root, ec);
}

BOOST_AUTO_TEST_SUITE_END()
