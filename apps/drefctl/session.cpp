#include "session.hpp"

#include "errors.hpp"

#include <iostream>

namespace drefctl {

namespace {

dref::config::node_config node_config_of(const global_options& options) {
  dref::config::node_config node;
  node.tls = options.tls;
  return node;
}

} // namespace

session::session(global_options options)
    : options_(std::move(options))
    , system_config_(node_config_of(options_)) {}

dref::raft_member& session::member() {
  if (member_)
    return *member_;
  try {
    // All endpoints: a member that fails later is left for another one.
    member_ = dref::raft_member::connect(system_, options_.endpoints, {}, options_.timeout);
    return *member_;
  } catch (const dref::error_exception& ex) {
    throw command_failed{
        dref::error{dref::errc::unavailable, "no endpoint answers: " + ex.error().message}};
  }
}

dref::context& session::context() {
  if (!context_) {
    dref::context_options context_options;
    context_options.request_timeout = options_.timeout;
    if (session_ttl_)
      context_options.session_ttl = *session_ttl_;
    context_.emplace(system_, member(), context_options);
  }
  return *context_;
}

dref::ref<std::string, dref::raw_codec> session::raw_ref(const std::string& id) {
  return context().existing<std::string, dref::raw_codec>(dref::manual_id(id));
}

void session::print(const printable& result) {
  drefctl::print(std::cout, result, options_.format);
}

} // namespace drefctl
