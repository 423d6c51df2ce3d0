// The dashboard's files by request path (embedded.hpp); their text is
// compiled in by dref_embed_text (CMakeLists.txt).
#include "embedded.hpp"

#include <array>

namespace dref::gateway {

namespace files_html {
std::string_view index();
}
namespace files_js {
std::string_view dashboard();
std::string_view dom();
std::string_view chart();
} // namespace files_js
namespace files_css {
std::string_view dashboard();
}

const embedded_file* find_embedded(std::string_view path) noexcept {
  static const std::array<embedded_file, 6> files{{
      {"/", "text/html; charset=utf-8", files_html::index()},
      {"/index.html", "text/html; charset=utf-8", files_html::index()},
      {"/dashboard.js", "text/javascript; charset=utf-8", files_js::dashboard()},
      {"/dom.js", "text/javascript; charset=utf-8", files_js::dom()},
      {"/chart.js", "text/javascript; charset=utf-8", files_js::chart()},
      {"/dashboard.css", "text/css; charset=utf-8", files_css::dashboard()},
  }};
  for (const auto& file : files)
    if (file.path == path)
      return &file;
  return nullptr;
}

} // namespace dref::gateway
