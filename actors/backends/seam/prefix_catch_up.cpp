#include "dref/backends/seam/prefix_catch_up.hpp"

#include "dref/backends/seam/watch_key.hpp"

#include <algorithm>
#include <memory>

namespace dref::backend {

namespace {

using protocol::store_event;

struct gathering {
  read_sender send;
  std::string key;
  std::function<void(result<std::vector<store_event>>)> done;
  std::vector<store_event> values;
  std::vector<std::string> present;
  std::uint64_t newest = 0;
  std::size_t reads_left = 0;
  bool failed = false;
};

void fail(const std::shared_ptr<gathering>& g, dref::error err) {
  if (g->failed)
    return;
  g->failed = true;
  g->done(std::move(err));
}

void finish(const std::shared_ptr<gathering>& g) {
  std::stable_sort(
      g->values.begin(), g->values.end(),
      [](const store_event& a, const store_event& b) { return a.new_version < b.new_version; });
  auto& end = g->values.emplace_back();
  end.kind = protocol::event_kind::value_caught_up;
  end.id = g->key;
  end.new_version = g->newest;
  end.payload_type = protocol::payload_kind::full;
  for (const auto& id : g->present)
    end.payload.append(id).push_back('\n');
  g->done(std::move(g->values));
}

void read_page(const std::shared_ptr<gathering>& g, std::string after);

// The values of one page's ids; the next page once all are in.
void read_values(const std::shared_ptr<gathering>& g, protocol::list_page page) {
  g->newest = std::max(g->newest, page.revision);
  if (page.ids.empty())
    return finish(g);
  g->reads_left = page.ids.size();
  auto next = page.more ? std::optional<std::string>{page.ids.back().id} : std::nullopt;
  for (const auto& listed : page.ids) {
    auto id = listed.id;
    g->send(protocol::store_read{protocol::read_kind::value, id, 0, 0},
            [g, id, next](protocol::store_read_reply reply) {
              if (g->failed)
                return;
              if (reply.error && reply.error->code != errc::not_found)
                return fail(g, std::move(*reply.error));
              if (const auto* value = std::get_if<protocol::value_state>(&reply.value);
                  value && !reply.error) {
                auto& e = g->values.emplace_back();
                e.kind = protocol::event_kind::value_caught_up;
                e.id = id;
                e.new_version = value->version;
                e.payload_type = protocol::payload_kind::full;
                e.payload = value->value;
                g->present.push_back(id);
                g->newest = std::max(g->newest, value->version);
              }
              if (--g->reads_left > 0)
                return;
              if (next)
                read_page(g, *next);
              else
                finish(g);
            });
  }
}

void read_page(const std::shared_ptr<gathering>& g, std::string after) {
  protocol::store_read list{protocol::read_kind::list, std::string{prefix_of(g->key)}, 0, 0,
                            std::move(after)};
  g->send(std::move(list), [g](protocol::store_read_reply reply) {
    if (g->failed)
      return;
    if (reply.error)
      return fail(g, std::move(*reply.error));
    auto* page = std::get_if<protocol::list_page>(&reply.value);
    if (page == nullptr)
      return fail(g, dref::error{errc::internal, "a listing answered with another read result"});
    read_values(g, std::move(*page));
  });
}

} // namespace

void read_prefix_catch_up(read_sender send, std::string key,
                          std::function<void(result<std::vector<store_event>>)> done) {
  auto g = std::make_shared<gathering>();
  g->send = std::move(send);
  g->key = std::move(key);
  g->done = std::move(done);
  read_page(g, {});
}

std::vector<store_event> prefix_catch_up_from(const store::store& store, const std::string& key) {
  std::vector<store_event> out;
  read_prefix_catch_up(
      [&store](protocol::store_read request,
               std::function<void(protocol::store_read_reply)> answer) {
        answer(store.read(request));
      },
      key,
      [&out](result<std::vector<store_event>> events) {
        if (events)
          out = std::move(*events);
      });
  return out;
}

std::vector<std::string> present_ids(const store_event& end) {
  std::vector<std::string> out;
  std::string_view rest = end.payload;
  while (!rest.empty()) {
    auto line = rest.find('\n');
    out.emplace_back(rest.substr(0, line));
    rest = line == std::string_view::npos ? std::string_view{} : rest.substr(line + 1);
  }
  return out;
}

} // namespace dref::backend
