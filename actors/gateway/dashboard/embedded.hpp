// The dashboard's files (index.html, dashboard.js, dashboard.css), compiled
// into the gateway by cmake/embed_files.cmake so that dref-node serves them
// without reading anything from disk.
#pragma once

#include <string_view>

namespace dref::gateway {

struct embedded_file {
  std::string_view path;         // request path: "/dashboard.js"; "/" for index.html
  std::string_view content_type; // "text/javascript; charset=utf-8"
  std::string_view body;         // the file's bytes
};

// The dashboard's files by request path ("/" is index.html), or nullptr.
const embedded_file* find_embedded(std::string_view path) noexcept;

} // namespace dref::gateway
