#include "value_cache.hpp"

#include "context_impl.hpp"
#include "dref/detail/ref_core.hpp"
#include "dref/store/delta.hpp"

namespace dref::detail {

void value_cache::offer(std::uint64_t at, std::optional<std::string> value) {
  {
    std::lock_guard guard{mutex};
    if (at <= version)
      return;
    version = at;
    bytes = std::move(value);
  }
  changed.notify_all();
}

void value_cache::raise_floor(std::uint64_t written) {
  std::lock_guard guard{mutex};
  if (written > floor)
    floor = written;
}

void value_cache::go_live(std::optional<std::pair<std::uint64_t, std::string>> read) {
  if (read)
    offer(read->first, std::move(read->second));
  std::lock_guard guard{mutex};
  live = true;
}

std::function<void(const protocol::store_event&)> feed(std::weak_ptr<value_cache> cache) {
  return [cache = std::move(cache)](const protocol::store_event& e) {
    if (auto copy = cache.lock())
      copy->on_event(e);
  };
}

void value_cache::mark_stale(std::uint64_t at) {
  std::lock_guard guard{mutex};
  if (at > stale_at)
    stale_at = at;
}

std::optional<value_cache::copy> value_cache::current(std::chrono::milliseconds wait,
                                                      std::size_t wait_from_size) {
  std::unique_lock lock{mutex};
  if (!live)
    return std::nullopt; // no copy kept: nothing to wait for
  auto usable = [this] { return live && version >= floor && version > stale_at; };
  if (usable())
    return copy{version, bytes};
  bool worth_waiting = wait.count() > 0 && bytes && bytes->size() >= wait_from_size;
  if (!worth_waiting || !changed.wait_for(lock, wait, usable))
    return std::nullopt;
  return copy{version, bytes};
}

void value_cache::on_event(const protocol::store_event& e) {
  using protocol::event_kind;
  switch (e.kind) {
    case event_kind::value_created:
    case event_kind::value_caught_up:
      offer(e.new_version, e.payload);
      break;
    case event_kind::value_written:
      if (e.payload_type == protocol::payload_kind::delta) {
        std::optional<std::string> base = e.old_value;
        if (!base) {
          std::lock_guard guard{mutex};
          if (version == e.old_version && bytes)
            base = bytes;
        }
        if (!base)
          break;
        auto patched = store::apply_delta(*base, e.payload, SIZE_MAX);
        if (patched)
          offer(e.new_version, std::move(*patched));
      } else {
        offer(e.new_version, e.payload);
      }
      break;
    case event_kind::value_removed:
      offer(e.new_version, std::nullopt);
      break;
    case event_kind::metadata_changed: {
      // The value stays; only the version moves on.
      {
        std::lock_guard guard{mutex};
        if (version == e.old_version)
          version = e.new_version;
        else if (e.new_version > version && e.new_version - 1 > stale_at)
          stale_at = e.new_version - 1; // a change was missed: no base until a newer value
      }
      changed.notify_all();
      break;
    }
    default:
      break;
  }
}

} // namespace dref::detail

namespace dref::detail {

std::shared_ptr<value_cache> context_impl::cache_for(const std::string& id) {
  std::lock_guard guard{caches_.mutex};
  auto& slot = caches_.by_id[id];
  if (auto existing = slot.lock())
    return existing;
  auto made = std::make_shared<value_cache>();
  slot = made;
  // Drop the slots of ids nobody holds a handle to any more, now and then.
  if (caches_.by_id.size() >= 2 * caches_.swept_at) {
    std::erase_if(caches_.by_id, [](const auto& entry) { return entry.second.expired(); });
    caches_.swept_at = caches_.by_id.size() > 64 ? caches_.by_id.size() : 64;
  }
  return made;
}

std::shared_ptr<value_cache> context_impl::held_cache(const std::string& id) {
  std::lock_guard guard{caches_.mutex};
  auto it = caches_.by_id.find(id);
  return it == caches_.by_id.end() ? nullptr : it->second.lock();
}

result<protocol::value_state> ref_core::cached(timeout_ms timeout) const {
  auto answer = [&](bool below_floor_ok) -> std::optional<result<protocol::value_state>> {
    std::lock_guard guard{cache_->mutex};
    if (!cache_->live || (!below_floor_ok && cache_->version < cache_->floor))
      return std::nullopt;
    if (!cache_->bytes)
      return result<protocol::value_state>{
          error{errc::not_found, "ref '" + id_ + "' does not exist"}};
    return result<protocol::value_state>{
        protocol::value_state{*cache_->bytes, cache_->version, {}, {}}};
  };
  if (auto known = answer(false))
    return std::move(*known);
  // Right after this context's own write, the copy of a large value is
  // usually a few milliseconds from showing it: waiting costs less than
  // reading the whole value again. A copy still behind after the wait is
  // dropped (its watch may have ended) and started again below.
  (void)current_copy(*cache_, true);
  if (auto known = answer(false))
    return std::move(*known);
  {
    std::lock_guard filling{cache_->fill_mutex};
    if (auto watching = start_watch(timeout); !watching)
      return watching.error();
    // Watching first, then reading: the read and the events overlap and the
    // higher version wins, so nothing in between is missed. The read also
    // sees every write of this context that raised the floor before it.
    auto got = read(timeout);
    if (!got && got.error().code != errc::not_found)
      return std::move(got).error();
    cache_->go_live(got ? std::optional{std::pair{got->version, std::move(got->value)}}
                        : std::nullopt);
  }
  // A write of this context after our read may have raised the floor
  // again; its caller reads for itself, this one has its answer.
  return std::move(*answer(true));
}

// Under fill_mutex.
result<void> ref_core::start_watch(timeout_ms timeout) const {
  if (cache_->watch.active())
    return {};
  auto watching = ctx_->watch(id_, feed(cache_), timeout);
  if (!watching)
    return std::move(watching).error();
  cache_->watch = std::move(*watching);
  return {};
}

std::optional<value_cache::copy> current_copy(value_cache& cache, bool wait) {
  auto copy = cache.current(wait ? ref_core::copy_catch_up_wait : std::chrono::milliseconds{0},
                            ref_core::copy_min_size);
  if (copy || !wait)
    return copy;
  bool behind = false;
  {
    std::lock_guard guard{cache.mutex};
    behind = cache.live && cache.bytes && cache.bytes->size() >= ref_core::copy_min_size;
  }
  if (behind) {
    // The copy did not catch up in time (its watch may have ended): start
    // it over from the next read of a large value.
    subscription ended;
    std::lock_guard filling{cache.fill_mutex};
    {
      std::lock_guard guard{cache.mutex};
      cache.live = false;
    }
    ended = std::move(cache.watch);
  }
  return std::nullopt;
}

result<protocol::value_state> ref_core::base_for_update(timeout_ms timeout) const {
  auto copy = current_copy(*cache_, true);
  if (copy && copy->bytes)
    return protocol::value_state{std::move(*copy->bytes), copy->version, {}, {}};
  auto got = read(timeout); // a copy that says "missing" is no base: not_found comes from a read
  if (copy || !got || got->value.size() < copy_min_size)
    return got;
  // A large value: start the copy as get_cached does, watching first and
  // then reading, so that no change in between is missed. The update goes
  // on from its own read.
  std::lock_guard filling{cache_->fill_mutex};
  if (!start_watch(timeout))
    return got; // no copy this time; the read stands on its own
  auto seen = read(timeout);
  if (!seen)
    return got;
  cache_->go_live(std::pair{seen->version, std::move(seen->value)});
  return got;
}

} // namespace dref::detail
