#pragma once
// How much longer a test's bounded waits may be in a slow build: the
// ThreadSanitizer tier sets AIM_TEST_TIME_SCALE (its 5-15x slowdown), the
// normal suite leaves it at 1. Only bounds for "never" are stretched; a test
// asserts no speed.
#include <chrono>
#include <cstdlib>

namespace aim::test {

inline double time_scale() {
  static const double scale = [] {
    const char* v = std::getenv("AIM_TEST_TIME_SCALE");
    const double s = v ? std::strtod(v, nullptr) : 1.0;
    return s >= 1.0 ? s : 1.0;
  }();
  return scale;
}

template <class Duration>
Duration scaled(Duration d) {
  return std::chrono::duration_cast<Duration>(d * time_scale());
}

}  // namespace aim::test
