#include "service/rule_change_watch.h"

#include <cstdio>
#include <cstring>
#include <thread>

namespace aim {
namespace {

// How often the sizes of the x_tables tables are asked (microseconds each).
constexpr std::chrono::milliseconds kXtPollPeriod{250};

}  // namespace

RuleChangeWatch::RuleChangeWatch(Logger& log, const std::atomic<bool>& stopping, Due due,
                                 LoopError loop_error)
    : log_(log), stopping_(stopping), due_(std::move(due)), loop_error_(std::move(loop_error)) {}

Status RuleChangeWatch::start(sd_event* loop, LoopWorker& poller, const Setup& setup) {
  pacer_ = CheckPacer(setup.settle, setup.ceiling);
  auto timer = add_timer(loop, on_due, this, "the rule-change timer");
  if (!timer) return Error{timer.error(), timer.error_code()};
  timer_ = std::move(*timer);
  if (setup.nft) {
    sd_event_source* source = nullptr;
    Status opened = nft_.open();
    if (opened && sd_event_add_io(loop, &source, nft_.fd(), EPOLLIN, on_nft, this) >= 0) {
      nft_source_.reset(source);
    } else {
      log_.warning("rule changes in nf_tables are seen at the next --interval only: " +
                   (opened ? std::string("cannot add the event source") : opened.error()) +
                   (opened.error_code() ? std::string(": ") + strerror(opened.error_code()) : ""));
    }
  }
  if (setup.legacy) start_poll(poller, setup.families);
  return Ok{};
}

void RuleChangeWatch::changed(const std::string& what) {
  if (stopping_) return;
  log_.info(4, "rule change noticed: " + what);
  pacer_.changed(Clock::now(), what);
  if (!checking_) arm();  // a running check's end arms it
}

void RuleChangeWatch::check_started(bool for_changes) {
  checking_ = true;
  pacer_.check_started(Clock::now(), for_changes);
  if (!timer_) return;  // not started (--no-watch-rules)
  if (const int r = sd_event_source_set_enabled(timer_.get(), SD_EVENT_OFF); r < 0)
    loop_error_(r, "cannot disarm the rule-change timer");
  if (nft_source_) {
    nft_.drain();
    if (const int r = sd_event_source_set_enabled(nft_source_.get(), SD_EVENT_ON); r < 0)
      loop_error_(r, "cannot listen to nf_tables again");
  }
}

void RuleChangeWatch::check_finished(Clock::duration cpu) {
  checking_ = false;
  pacer_.check_finished(cpu);
  arm();
}

void RuleChangeWatch::arm() {
  const auto due = pacer_.due();
  if (!due || !timer_) return;
  if (Status armed = arm_at(timer_.get(), *due); !armed)
    loop_error_(negative_errno(armed), armed.error().c_str());
}

int RuleChangeWatch::on_due(sd_event_source*, uint64_t, void* self) {
  auto* w = static_cast<RuleChangeWatch*>(self);
  std::string detail = w->pacer_.first_change();
  if (w->pacer_.changes() > 1)
    detail += " and " + std::to_string(w->pacer_.changes() - 1) + " more";
  w->due_(detail);
  return 0;
}

int RuleChangeWatch::on_nft(sd_event_source* source, int, uint32_t, void* self) {
  auto* w = static_cast<RuleChangeWatch*>(self);
  if (!w->nft_.drain()) return 0;
  // One is enough: stop reading (a flood is dropped by the kernel, cheaply)
  // until the check starts, which resumes listening.
  if (const int r = sd_event_source_set_enabled(source, SD_EVENT_OFF); r < 0)
    w->loop_error_(r, "cannot pause listening to nf_tables");
  w->changed("nft");
  return 0;
}

void RuleChangeWatch::start_poll(LoopWorker& poller, std::vector<Family> families) {
  poller.submit(
      [this, &poller, families]() -> LoopWorker::Continuation {
        XtTablePoller tables(families);
        XtTableFingerprinter fingerprinter(families);
        const XtFingerprintPacing pacing;
        XtTableSizes sizes = tables.poll();
        auto fingerprint_start = Clock::now();
        XtTableFingerprinter::Pass pass = fingerprinter.read();
        XtFingerprints fingerprints = pass.tables;
        auto fingerprint_due = fingerprint_start + pacing.spacing(pass.cpu);
        post_fingerprint_pass(poller, {}, pass, pacing.spacing(pass.cpu));
        while (!stopping_) {
          const auto until = std::min(Clock::now() + kXtPollPeriod, fingerprint_due);
          while (!stopping_ && Clock::now() < until)
            std::this_thread::sleep_for(
                std::min<Clock::duration>(kXtPollPeriod, until - Clock::now()));
          if (stopping_) break;
          XtTableSizes now = tables.poll();
          const std::vector<std::string> changed_now = changed_tables(sizes, now);
          sizes = std::move(now);
          if (!changed_now.empty())
            poller.post([this, what = "legacy " + changed_now.front()] { changed(what); });
          if (Clock::now() < fingerprint_due) continue;
          // The replacements that keep a table's size: the entries' digests,
          // at most XtFingerprintPacing::kShare of a core.
          fingerprint_start = Clock::now();
          pass = fingerprinter.read();
          const std::vector<std::string> moved = moved_fingerprints(fingerprints, pass.tables);
          const auto spacing = pacing.spacing(pass.cpu);
          fingerprint_due = fingerprint_start + spacing;
          post_fingerprint_pass(poller, fingerprints, pass, spacing);
          // -v 2, the tables whose digest moved (rare on a quiet node; what
          // bench/xt_fingerprint.sh times); one without a digest was warned
          // about once and changes at every pass.
          std::string digests_moved;
          for (const std::string& table : moved)
            if (pass.tables.count(table) && pass.tables.at(table).digest)
              digests_moved += (digests_moved.empty() ? "" : ", ") + table;
          fingerprints = std::move(pass.tables);
          if (!moved.empty())
            poller.post([this, digests_moved, what = "legacy " + moved.front() + " (entries)"] {
              if (!digests_moved.empty())
                log_.info(2, "x_tables fingerprint moved: " + digests_moved);
              changed(what);
            });
        }
        return {};
      },
      [this](const std::string& what) -> LoopWorker::Continuation {
        return [this, what] {
          if (!stopping_)
            log_.warning(
                "rule changes in x_tables are seen at the next --interval only: the poll "
                "stopped: " +
                what);
        };
      });
}

void RuleChangeWatch::post_fingerprint_pass(LoopWorker& poller, const XtFingerprints& before,
                                            const XtTableFingerprinter::Pass& pass,
                                            std::chrono::nanoseconds spacing) {
  // What the operator hears, said on the loop thread: a table that cannot be
  // fingerprinted (once, when it starts or its reason changes) and when it
  // can again; the cost and pacing when they first are and when the spacing
  // doubles or halves (-v 2), every pass at -v 5.
  std::vector<std::string> lines_warn, lines_info;
  for (const auto& [table, fingerprint] : pass.tables) {
    auto it = before.find(table);
    const bool had = it != before.end();
    if (!fingerprint.digest && (!had || it->second.error != fingerprint.error))
      lines_warn.push_back("x_tables " + table +
                           " cannot be fingerprinted, so every pass counts it as changed and "
                           "asks for a check: " +
                           fingerprint.error);
    if (fingerprint.digest && had && !it->second.digest)
      lines_info.push_back("x_tables " + table + " can be fingerprinted again");
  }
  size_t bytes = 0;
  for (const auto& [table, cost] : pass.cost) bytes += cost.bytes;
  const double cpu_ms = std::chrono::duration<double, std::milli>(pass.cpu).count();
  const double spacing_s = std::chrono::duration<double>(spacing).count();
  poller.post([this, lines_warn = std::move(lines_warn), lines_info = std::move(lines_info),
               tables = pass.tables.size(), bytes, cpu_ms, spacing_s] {
    for (const std::string& line : lines_warn) log_.warning(line);
    for (const std::string& line : lines_info) log_.info(1, line);
    const bool news = fingerprint_spacing_logged_ <= 0 ||
                      spacing_s >= 2 * fingerprint_spacing_logged_ ||
                      spacing_s * 2 <= fingerprint_spacing_logged_;
    char text[200];
    std::snprintf(text, sizeof text,
                  "x_tables fingerprints: %zu tables, %zu bytes of rules, in %.3f ms of CPU; "
                  "a pass every %.3f s",
                  tables, bytes, cpu_ms, spacing_s);
    log_.info(news ? 2 : 5, text);
    if (news) fingerprint_spacing_logged_ = spacing_s;
  });
}

}  // namespace aim
