#define BOOST_TEST_MODULE dref
#include <boost/test/unit_test.hpp>
