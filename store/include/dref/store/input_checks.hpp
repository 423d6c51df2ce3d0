#pragma once
// The checks a command passes before it may touch any state: ids, sizes,
// metadata, session ttls and topic retention against the limits. The store
// runs them first on every command; the redis backend runs them before it
// sends a command to Redis, so that both refuse the same input with the
// same words.

#include "dref/protocol/result.hpp"
#include "dref/protocol/store_commands.hpp"
#include "dref/protocol/store_reads.hpp"
#include "dref/protocol/store_results.hpp"
#include "dref/store/limits.hpp"

namespace dref::store {

// Ids under this prefix hold dref's own records (the member directory):
// readable by everyone, written only through internal commands.
inline constexpr std::string_view reserved_prefix = "dref/";
// Where the member directory keeps a member's address.
inline constexpr std::string_view member_directory_prefix = "dref/members/";

result<void> check_input(const protocol::store_command& command, const limits& lim);

// Commands only dref itself proposes (cmd_member_announce): a backend
// refuses them from a client with invalid_argument, before they reach the
// log. (The store applies them, so every member agrees.)
bool internal_only(const protocol::store_command& command);
result<void> refuse_internal(const protocol::store_command& command);

// The most ids one list page holds (protocol::read_kind::list): a limit
// above it is refused with errc::limit_exceeded, 0 asks for exactly this.
inline constexpr std::uint64_t max_list_page = 1000;

// The most compares, and the most writes, one transaction (cmd_txn) holds:
// more is refused with errc::limit_exceeded (etcd's default is the same).
inline constexpr std::size_t max_txn_ops = 128;

// A backend's answer to a command it refuses before the store sees it.
protocol::store_reply refusal_reply(error err);

// A member address as members announce it: host:port or [v6]:port, port
// 1..65535, a host of letters, digits and . - _ : only.
result<void> check_member_address(std::string_view address);

// A read's id: a malformed one is an error of its own, not "not found":
// nothing can ever be stored under it. (A session read names no stored
// thing: a malformed session is simply not open.) A list's prefix and
// `after` may be empty, else they are checked as ids; a prefix under
// reserved_prefix is refused (dref's records are not listed), and so is a
// limit above max_list_page.
result<void> check_read(const protocol::store_read& request, const limits& lim);

} // namespace dref::store
