#pragma once
// dref::txn: compare the versions of several refs, then write several, in
// one atomic step (etcd's Txn, without the else branch). Build one, then
// commit it through a context: ctx.commit(t) (blocking; throws
// error_exception on an error), ctx.try_commit(t), or ctx.commit(self, t)
// from an actor (a pending<txn_result>).
//
//   dref::txn t;
//   t.if_version(from, seen_from).if_version(to, seen_to)
//    .set(from, balance_from - 10).set(to, balance_to + 10);
//   if (auto done = ctx.commit(t); !done)
//     // done.failed_id moved on to done.found_version: read again and retry
//
// A failed compare is an answer, not an error: committed is false and
// nothing changed. Errors (thrown, or in the result) are about the txn
// itself: a write the ref's validator refuses (validation_failed, found
// while building: commit sends nothing), more than max_txn_ops compares or
// writes, one id written twice, values above limits.max_value_bytes in all,
// or the usual unknown outcome (timeout). The store's contract is above
// protocol::cmd_txn: every write gets the txn's version, watchers see each
// write as it would show alone.
//
// Owned sets: set_owned writes a value owned by the committing context's
// session (as ref::set_owned), set_with_ttl one owned by a session of its
// own that nobody renews (as ref::set_with_ttl), opened at commit, one per
// TTL; the value goes when its session ends. A TTL outside the store's
// session TTLs fails the commit with invalid_argument and nothing is
// written; one that passed before the txn arrived with unknown_session,
// nothing written either. Unless the txn may have committed (an unknown
// outcome), its TTL sessions are closed again when it did not.

#include "dref/protocol/store_commands.hpp"
#include "dref/ref.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dref {

struct txn_result {
  bool committed = false;
  std::uint64_t version = 0;       // committed: the version of every write
  std::size_t failed_compare = 0;  // not committed: the first compare that failed,
  std::string failed_id;           // in the order the if_ calls were made,
  std::uint64_t found_version = 0; // and the version found (0: absent)
  explicit operator bool() const noexcept { return committed; }
};

class txn {
public:
  // --- compares: id at exactly version, or absent.
  txn& if_version(const std::string& id, std::uint64_t version) {
    cmd_.compares.push_back({id, version});
    return *this;
  }
  txn& if_absent(const std::string& id) { return if_version(id, 0); }
  template <class T, class C>
  txn& if_version(const ref<T, C>& r, std::uint64_t version) {
    return if_version(r.id(), version);
  }
  template <class T, class C>
  txn& if_absent(const ref<T, C>& r) {
    return if_absent(r.id());
  }

  // --- writes: each id at most once.
  template <class T, class C>
  txn& set(const ref<T, C>& r, const T& value) {
    if (auto ok = r.validate(value); !ok && !refused_)
      refused_ = ok.error();
    return set_bytes(r.id(), C::encode(value));
  }
  // The bytes as stored, for tools that work below the codecs (drefctl).
  txn& set_bytes(const std::string& id, std::string bytes) {
    cmd_.writes.push_back({id, false, std::move(bytes), {}});
    return *this;
  }
  template <class T, class C>
  txn& set_owned(const ref<T, C>& r, const T& value) {
    set(r, value);
    owners_.push_back({cmd_.writes.size() - 1, std::nullopt});
    return *this;
  }
  template <class T, class C>
  txn& set_with_ttl(const ref<T, C>& r, const T& value, std::chrono::milliseconds ttl) {
    set(r, value);
    owners_.push_back({cmd_.writes.size() - 1, ttl});
    return *this;
  }
  txn& set_bytes_with_ttl(const std::string& id, std::string bytes, std::chrono::milliseconds ttl) {
    set_bytes(id, std::move(bytes));
    owners_.push_back({cmd_.writes.size() - 1, ttl});
    return *this;
  }
  // Owned by a session opened elsewhere (the HTTP gateway's sessions).
  txn& set_bytes_owned_by(const std::string& id, std::string bytes, std::string session) {
    set_bytes(id, std::move(bytes));
    cmd_.writes.back().session = std::move(session);
    return *this;
  }
  txn& remove(const std::string& id) {
    cmd_.writes.push_back({id, true, {}, {}});
    return *this;
  }
  template <class T, class C>
  txn& remove(const ref<T, C>& r) {
    return remove(r.id());
  }

  const protocol::cmd_txn& command() const noexcept { return cmd_; }
  // Who owns an owned set, named at commit: the write's index in
  // command().writes, and its TTL (nullopt: the context's session).
  struct owner {
    std::size_t write = 0;
    std::optional<std::chrono::milliseconds> ttl;
  };
  const std::vector<owner>& owners() const noexcept { return owners_; }
  // Set when building found a write that cannot go (a validator refused
  // its value): committing fails with it and sends nothing.
  const std::optional<error>& refused() const noexcept { return refused_; }

private:
  protocol::cmd_txn cmd_;
  std::vector<owner> owners_;
  std::optional<error> refused_;
};

} // namespace dref
