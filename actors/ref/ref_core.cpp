#include "dref/detail/ref_core.hpp"

#include "context_impl.hpp"
#include "dref/store/delta.hpp"
#include "store_answers.hpp"
#include "value_cache.hpp"

#include <random>
#include <thread>

namespace dref::detail {

using namespace protocol;

namespace {

// Bytes as a delta against base, when both are large enough to be worth it
// (ref_core::copy_min_size) and the delta is smaller than the bytes.
std::optional<std::string> smaller_delta(const std::string& base, const std::string& bytes) {
  if (base.size() < ref_core::copy_min_size || bytes.size() < ref_core::copy_min_size)
    return std::nullopt;
  auto delta = store::encode_delta(base, bytes);
  if (delta.size() >= bytes.size())
    return std::nullopt;
  return delta;
}

} // namespace

std::optional<cmd_patch> patch_from_copy(const std::string& id, value_cache& cache,
                                         const std::string& bytes, bool wait) {
  if (bytes.size() < ref_core::copy_min_size)
    return std::nullopt;
  auto copy = current_copy(cache, wait);
  if (!copy || !copy->bytes)
    return std::nullopt;
  auto delta = smaller_delta(*copy->bytes, bytes);
  if (!delta)
    return std::nullopt;
  return cmd_patch{id, copy->version, std::move(*delta)};
}

namespace {

template <class R>
result<std::uint64_t> version_of(result<store_result> got, const std::string& id) {
  auto r = expect<R>(std::move(got), id);
  if (!r)
    return std::move(r).error();
  return r->version;
}

} // namespace

ref_core::ref_core(std::shared_ptr<context_impl> ctx, std::string id)
    : ctx_(std::move(ctx))
    , id_(std::move(id))
    , cache_(ctx_->cache_for(id_)) {}

result<value_state> ref_core::read(timeout_ms timeout) const {
  return expect_read<value_state>(ctx_->read(store_read{read_kind::value, id_, 0, 0}, timeout),
                                  id_);
}

result<res_created> ref_core::create(std::string bytes, metadata_map metadata,
                                     timeout_ms timeout) const {
  auto created = expect<res_created>(
      ctx_->propose(cmd_create_if_absent{id_, std::move(bytes), std::move(metadata)}, timeout),
      id_);
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
  // Waits, as an update does, for the copy to show this context's last
  // write: a large value's set usually follows the same program's writes.
  if (auto patch = patch_from_copy(id_, *cache_, bytes, true)) {
    // The copy is current as far as we know: ship what changed. Should
    // that not hold (another write came first, the id went, the copy was
    // wrong), the set goes whole after all.
    auto base = patch->expected_version;
    auto patched =
        version_of<res_written>(ctx_->propose(guarded(std::move(*patch), fence), timeout), id_);
    if (patched) {
      cache_->raise_floor(*patched);
      return patched;
    }
    if (!patch_refused(patched.error()))
      return patched;
    cache_->mark_stale(base);
  }
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
  if (old_bytes == nullptr && bytes.size() >= copy_min_size) {
    // A write at a version the caller read: our copy may hold that version.
    auto copy = current_copy(*cache_, false);
    if (copy && copy->version == expected_version && copy->bytes) {
      auto written = propose_cas(expected_version, &*copy->bytes, bytes, timeout, fence);
      if (written) {
        cache_->raise_floor(*written);
        return written;
      }
      if (written.error().code != errc::decode_failed)
        return written;
      cache_->mark_stale(expected_version); // the copy was wrong: the bytes go whole
    }
  }
  auto written = propose_cas(expected_version, old_bytes, bytes, timeout, fence);
  if (written) {
    cache_->raise_floor(*written);
    return written;
  }
  if (written.error().code == errc::version_conflict)
    cache_->mark_stale(expected_version);
  if (written.error().code == errc::decode_failed && old_bytes != nullptr) {
    // The update's base (this context's copy) was not the value at its
    // version: the update starts again from a newer one.
    cache_->mark_stale(expected_version);
    return error{errc::version_conflict, "ref '" + id_ +
                                             "': the copy an update started from "
                                             "was not the value at version " +
                                             std::to_string(expected_version)};
  }
  return written;
}

result<std::uint64_t> ref_core::propose_cas(std::uint64_t expected_version,
                                            const std::string* old_bytes, const std::string& bytes,
                                            timeout_ms timeout, const write_fence* fence) const {
  return version_of<res_written>(
      ctx_->propose(guarded(write_at_version(id_, expected_version, old_bytes, bytes), fence),
                    timeout),
      id_);
}

cas_or_patch write_at_version(std::string id, std::uint64_t expected_version,
                              const std::string* old_bytes, const std::string& bytes) {
  if (old_bytes != nullptr)
    if (auto delta = smaller_delta(*old_bytes, bytes))
      return cmd_patch{std::move(id), expected_version, std::move(*delta)};
  return cmd_cas{std::move(id), expected_version, bytes};
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

result<query_answer> ref_core::query(std::string name, std::string args, bool stale,
                                     timeout_ms timeout) const {
  return expect_read<query_answer>(
      ctx_->read(query_request(id_, std::move(name), std::move(args), stale), timeout), id_);
}

result<std::uint64_t> ref_core::set_metadata(metadata_map metadata, timeout_ms timeout) const {
  return version_of<res_written>(ctx_->propose(cmd_set_metadata{id_, std::move(metadata)}, timeout),
                                 id_);
}

std::unique_lock<std::mutex> ref_core::local_update_turn() const {
  return std::unique_lock{ctx_->update_mutex(id_)};
}

error retries_exhausted(const std::string& id, int attempts) {
  return error{errc::retries_exhausted, "ref '" + id + "': " + std::to_string(attempts) +
                                            " attempts lost to concurrent writers"};
}

int ref_core::max_update_attempts() const noexcept {
  return ctx_->options.max_update_attempts;
}

void ref_core::backoff(int attempt) const {
  thread_local std::minstd_rand jitter{std::random_device{}()};
  int shift = attempt < 8 ? attempt : 8;
  auto ceiling = std::chrono::microseconds{20} * (1 << shift);
  std::uniform_int_distribution<long> pause{0, static_cast<long>(ceiling.count())};
  std::this_thread::sleep_for(std::chrono::microseconds{pause(jitter)});
}

} // namespace dref::detail
