#pragma once
// Every id of a listing by prefix, page by page: page_at(after) reads the
// page after `after` (empty: the first). Checks what every page must hold:
// at most `limit` ids, under the prefix, strictly in order and after the
// previous page, none newer than the page's revision.

#include "dref/protocol/store_results.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace dref::test {

struct full_listing {
  std::vector<protocol::listed_id> ids;
  std::vector<std::uint64_t> revisions; // one per page
};

template <class PageAt>
full_listing list_pages(PageAt page_at, const std::string& prefix, std::uint64_t limit) {
  full_listing out;
  std::string after;
  for (;;) {
    protocol::list_page page = page_at(after);
    BOOST_TEST_REQUIRE(page.ids.size() <= limit);
    for (std::size_t i = 0; i < page.ids.size(); ++i) {
      const auto& id = page.ids[i].id;
      BOOST_TEST(id.starts_with(prefix));
      BOOST_TEST(page.ids[i].version <= page.revision);
      const std::string& before = i > 0 ? page.ids[i - 1].id : after;
      if (i > 0 || !after.empty())
        BOOST_TEST((before < id), before << " before " << id);
    }
    out.revisions.push_back(page.revision);
    out.ids.insert(out.ids.end(), page.ids.begin(), page.ids.end());
    if (!page.more)
      return out;
    BOOST_TEST_REQUIRE(!page.ids.empty());
    after = page.ids.back().id;
  }
}

} // namespace dref::test
