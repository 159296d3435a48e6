#include "service/status.h"

#include "check/report_format.h"
#include "util/text.h"

namespace aim {
namespace {

// `systemctl status` shows the line whole (-l) or cut to the terminal: the
// cause is kept to a few lines' worth, cut between words so a path or URL
// in it is never cut in two.
constexpr size_t kMaxCause = 200;
constexpr size_t kMaxWord = 400;

}  // namespace

std::string status_line(const Report& report, const LabelDecision& label,
                        const StatusContext& context) {
  const bool cluster_enabled = context.cluster_enabled;
  const std::string& label_error = context.label_error;
  std::string line;
  switch (report.verdict) {
    case Verdict::Unexpected: {
      // summarize() starts "N unexpected (filter 2, ...)"; name them rules.
      std::string s = summarize(report);
      const std::string word = " unexpected";
      const size_t at = s.find(word);
      const bool one = report.unexpected.size() == 1;
      s.replace(at, word.size(), one ? " unexpected rule" : " unexpected rules");
      line = s.substr(0, s.find(" of "));
      break;
    }
    case Verdict::Clean:
      line = "clean (" + std::to_string(report.lines_checked) + " lines allowed)";
      break;
    case Verdict::Unknown: {
      const std::string first = report.errors.empty() ? "unknown" : report.errors.front();
      line = "cannot read " + shorten_at_word(first, kMaxCause, kMaxWord);
      if (report.errors.size() > 1)
        line += " (and " + std::to_string(report.errors.size() - 1) + " more)";
      break;
    }
  }
  if (!cluster_enabled) {
    line += "; label not sent (no node name)";
  } else if (report.verdict == Verdict::Unknown && label.unknown_too_long) {
    line +=
        "; unreadable for " + std::to_string(label.unknown_for.count()) + " s: label " +
        (label_error.empty() ? "true (fail-safe)"
                             : "NOT updated: " + shorten_at_word(label_error, kMaxCause, kMaxWord));
  } else if (report.verdict == Verdict::Unknown) {
    line += "; label left as it was";
  } else if (!label_error.empty()) {
    line += "; label NOT updated: " + shorten_at_word(label_error, kMaxCause, kMaxWord);
  } else {
    line += "; label " + std::string(label_for(report.verdict));
    if (context.watching) line += " (watched)";
  }
  if (context.allowlist_problems > 0)
    line += "; " + std::to_string(context.allowlist_problems) + " allowlist problem" +
            (context.allowlist_problems == 1 ? "" : "s") + " (see the journal)";
  if (!context.trigger.empty()) line += "; checked on " + context.trigger;
  char buf[16];
  tm local{};
  localtime_r(&context.next_check, &local);
  strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return line + "; next check " + buf;
}

}  // namespace aim
