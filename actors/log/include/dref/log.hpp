#pragma once
// Where dref's own messages go: a node that stops, a repaired log, a link
// that broke. By default one line each on stderr ("dref: ..."); a program
// that has its own logging redirects them with set_log_sink, once, before
// it starts dref (the sink is called from any thread, one call at a time).

#include <functional>
#include <string_view>

namespace dref {

enum class log_level { debug, info, warn, error };

using log_sink = std::function<void(log_level, std::string_view message)>;

// Replaces the sink; an empty one restores the default (stderr).
void set_log_sink(log_sink sink);

// Hands one message to the sink.
void log(log_level level, std::string_view message);

} // namespace dref
