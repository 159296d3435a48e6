#pragma once
// Runs code that might hang (a blocking open, an endless read) so that a
// regression fails its test instead of hanging the suite.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace aim::test {

// Runs `work` in a forked child that SIGALRM ends after `deadline`, and
// returns the string it produced, or nullopt when it did not finish in time
// (or died). The child leaves through _exit: no destructor of the parent's
// objects (a test server, temp dirs) runs in it.
std::optional<std::string> run_with_deadline(std::chrono::seconds deadline,
                                             const std::function<std::string()>& work);

}  // namespace aim::test
