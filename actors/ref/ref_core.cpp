#include "dref/detail/ref_core.hpp"

#include <random>
#include <thread>

#include "context_impl.hpp"
#include "store_answers.hpp"
#include "value_cache.hpp"
#include "dref/store/delta.hpp"

namespace dref::detail {

using namespace protocol;

namespace {

// Values at least this large may be written as a delta against the value
// the writer read (cas becomes patch), when the delta is smaller.
constexpr std::size_t patch_threshold = 4096;

template <class R>
result<std::uint64_t> version_of(result<store_result> got, const std::string& id) {
  auto r = expect<R>(std::move(got), id);
  if (!r)
    return std::move(r).error();
  return r->version;
}

} // namespace

ref_core::ref_core(std::shared_ptr<context_impl> ctx, std::string id)
  : ctx_(std::move(ctx)), id_(std::move(id)), cache_(ctx_->cache_for(id_)) {}

result<value_state> ref_core::read(timeout_ms timeout) const {
  auto got = ctx_->read(store_read{read_kind::value, id_, 0, 0}, timeout);
  if (!got)
    return std::move(got).error();
  if (auto* v = std::get_if<value_state>(&*got))
    return std::move(*v);
  return error{errc::internal, "ref '" + id_ + "': the backend answered with another read type"};
}

result<res_created> ref_core::create(std::string bytes, metadata_map metadata,
                                     timeout_ms timeout) const {
  auto created = expect<res_created>(
    ctx_->propose(cmd_create_if_absent{id_, std::move(bytes), std::move(metadata)}, timeout), id_);
  if (created && created->created)
    cache_->raise_floor(created->version);
  return created;
}

result<void> check_fence(const write_fence* fence) {
  if (fence != nullptr && fence->lock.empty())
    return error{errc::not_holder, "the fence's lock guard holds no lock (released or moved "
                                   "from): the fenced write is refused"};
  return {};
}

result<std::uint64_t> ref_core::set(std::string bytes, timeout_ms timeout,
                                    const write_fence* fence) const {
  if (auto ok = check_fence(fence); !ok)
    return ok.error();
  auto written = version_of<res_written>(
    ctx_->propose(guarded(cmd_set{id_, std::move(bytes)}, fence), timeout), id_);
  if (written)
    cache_->raise_floor(*written); // this context reads its own writes
  return written;
}

result<std::uint64_t> ref_core::cas(std::uint64_t expected_version, const std::string* old_bytes,
                                    std::string bytes, timeout_ms timeout,
                                    const write_fence* fence) const {
  if (auto ok = check_fence(fence); !ok)
    return ok.error();
  auto written = propose_cas(expected_version, old_bytes, std::move(bytes), timeout, fence);
  if (written)
    cache_->raise_floor(*written);
  return written;
}

result<std::uint64_t> ref_core::propose_cas(std::uint64_t expected_version,
                                             const std::string* old_bytes, std::string bytes,
                                             timeout_ms timeout, const write_fence* fence) const {
  if (old_bytes != nullptr && old_bytes->size() >= patch_threshold
      && bytes.size() >= patch_threshold) {
    auto delta = store::encode_delta(*old_bytes, bytes);
    if (delta.size() < bytes.size())
      return version_of<res_written>(
        ctx_->propose(guarded(cmd_patch{id_, expected_version, std::move(delta)}, fence), timeout),
        id_);
  }
  return version_of<res_written>(
    ctx_->propose(guarded(cmd_cas{id_, expected_version, std::move(bytes)}, fence), timeout), id_);
}

result<res_removed> ref_core::remove(timeout_ms timeout, const write_fence* fence) const {
  if (auto ok = check_fence(fence); !ok)
    return ok.error();
  return expect<res_removed>(ctx_->propose(guarded(cmd_remove{id_}, fence), timeout), id_);
}

result<res_ran> ref_core::run(std::string command, std::string args, timeout_ms timeout) const {
  auto ran = expect<res_ran>(
    ctx_->propose(cmd_run{id_, std::move(command), std::move(args)}, timeout), id_);
  if (ran)
    cache_->raise_floor(ran->version);
  return ran;
}

result<std::uint64_t> ref_core::set_metadata(metadata_map metadata, timeout_ms timeout) const {
  return version_of<res_written>(
    ctx_->propose(cmd_set_metadata{id_, std::move(metadata)}, timeout), id_);
}

std::unique_lock<std::mutex> ref_core::local_update_turn() const {
  return std::unique_lock{ctx_->update_mutex(id_)};
}

error retries_exhausted(const std::string& id, int attempts) {
  return error{errc::retries_exhausted, "ref '" + id + "': " + std::to_string(attempts)
                                          + " attempts lost to concurrent writers"};
}

int ref_core::max_update_attempts() const noexcept { return ctx_->options.max_update_attempts; }

void ref_core::backoff(int attempt) const {
  thread_local std::minstd_rand jitter{std::random_device{}()};
  int shift = attempt < 8 ? attempt : 8;
  auto ceiling = std::chrono::microseconds{20} * (1 << shift);
  std::uniform_int_distribution<long> pause{0, static_cast<long>(ceiling.count())};
  std::this_thread::sleep_for(std::chrono::microseconds{pause(jitter)});
}

} // namespace dref::detail
