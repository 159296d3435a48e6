#pragma once
// For tests of a required tier (namespaces, the test API server, the real
// kube-apiserver, the reference allowlists, the Go oracle): when what they
// need is missing, outside CI they skip and say why; under CI=true (which CI
// sets) they fail, naming what was missing, so a green CI run can never hide
// a tier that did not run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace aim::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::strcmp(ci, "false") != 0 && std::strcmp(ci, "0") != 0;
}

}  // namespace aim::test

#define AIM_REQUIRE_OR_SKIP(why)                                                \
  do {                                                                          \
    if (::aim::test::in_ci())                                                   \
      GTEST_FAIL() << "CI requires this test to run, but it cannot: " << (why); \
    else                                                                        \
      GTEST_SKIP() << (why) << " (under CI=true this fails)";                   \
  } while (0)
