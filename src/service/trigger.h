#pragma once
// What asked for a check. The kind decides (pacing counts only rule
// changes); the text is for STATUS and the log only.
#include <string>

namespace aim {

struct Trigger {
  enum class Kind {
    Start,              // the service started
    Interval,           // --interval, the backstop
    RuleChange,         // detail: the first change, and how many more
    AllowlistChange,    // noticed by inotify, compared after the settle
    Reload,             // detail: the signal (SIGHUP)
    ChangeDuringCheck,  // asked for while a check ran, by what is unknown
  };
  Kind kind = Kind::Start;
  std::string detail;

  std::string text() const {
    switch (kind) {
      case Kind::Start:
        return "start";
      case Kind::Interval:
        return "interval";
      case Kind::RuleChange:
        return "rule change: " + detail;
      case Kind::AllowlistChange:
        return "allowlist change";
      case Kind::Reload:
        return detail;
      case Kind::ChangeDuringCheck:
        return "a change during the check";
    }
    return detail;
  }
};

}  // namespace aim
