#pragma once
// The store limits a node configuration sets: the one mapping from config
// to store::limits, for every backend.

#include "dref/config/node_config.hpp"
#include "dref/store/limits.hpp"

namespace dref::backend {

inline store::limits limits_from(const config::node_config& cfg) {
  store::limits out;
  out.max_value_bytes = cfg.limits.max_value_bytes;
  out.max_id_length = cfg.limits.max_id_length;
  out.topic_max_messages = cfg.limits.topic_max_messages;
  out.max_cached_reply_bytes_per_client = cfg.limits.max_cached_reply_bytes_per_client;
  out.max_cached_reply_bytes = cfg.limits.max_cached_reply_bytes;
  return out;
}

} // namespace dref::backend
