#include "reconcile/reconciler.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = Reconciler::Clock;
using Kind = ClusterRequest::Kind;

const Clock::time_point t0{};

Report report_with(Verdict v) {
  Report r;
  r.verdict = v;
  if (v == Verdict::Unexpected)
    r.unexpected.push_back({Family::V4, Backend::Legacy, "filter", "INPUT", "-A INPUT -j X"});
  if (v == Verdict::Unknown) r.errors.push_back("nft ipv4: iptables-nft-save exited with status 3");
  return r;
}

ClusterRequest label(bool v) { return {Kind::Label, v, {}, {}}; }
ClusterRequest read(bool v) { return {Kind::ReadLabel, v, {}, {}}; }

// The label requests (writes and the reads before a re-assertion).
std::vector<ClusterRequest> labels_of(const Decision& d) {
  std::vector<ClusterRequest> out;
  for (const ClusterRequest& r : d.requests)
    if (r.kind != Kind::Event) out.push_back(r);
  return out;
}

std::vector<std::string> event_reasons(const Decision& d) {
  std::vector<std::string> out;
  for (const ClusterRequest& r : d.requests)
    if (r.kind == Kind::Event) out.push_back(r.reason);
  return out;
}

bool logged(const Decision& d, const std::string& part, int max_level = 0) {
  for (const LogLine& l : d.logs)
    if (l.level <= max_level && l.message.find(part) != std::string::npos) return true;
  return false;
}

CiliumNodeObservation object(std::optional<std::string> value, const std::string& rv = "1") {
  return {true, std::move(value), rv, {}};
}

const RequestResult kOk{true, 200, {}};

// What a read of the CiliumNode found.
RequestResult read_found(std::optional<std::string> value) {
  return {true, 200, {}, CiliumNodeObservation{true, std::move(value), "9", {}}};
}

// Jitter drawn at its top: every wait is its whole step (1 s, 2 s, 4 s...).
ReconcilerOptions options(bool events = false, double random = 1.0) {
  ReconcilerOptions o;
  o.events = events;
  o.node = "node1";
  o.random = [random] { return random; };
  return o;
}

TEST(Reconciler, WithoutAWatchEveryCheckSendsTheVerdictsLabel) {
  Reconciler r(options(true));
  Decision d = r.checked(report_with(Verdict::Clean), t0);
  EXPECT_EQ(labels_of(d), std::vector<ClusterRequest>{label(false)});
  r.sent(label(false), kOk, t0);
  d = r.checked(report_with(Verdict::Clean), t0 + 300s);
  EXPECT_EQ(labels_of(d), std::vector<ClusterRequest>{read(false)})
      << "the fallback re-asserts, reading first";
  EXPECT_TRUE(r.sent(read(false), read_found("false"), t0 + 300s).requests.empty())
      << "the label is there: nothing written";
  EXPECT_TRUE(r.label_settled());
  d = r.checked(report_with(Verdict::Clean), t0 + 600s);
  ASSERT_EQ(labels_of(d), std::vector<ClusterRequest>{read(false)});
  EXPECT_EQ(labels_of(r.sent(read(false), read_found(std::nullopt), t0 + 600s)),
            std::vector<ClusterRequest>{label(false)})
      << "removed meanwhile: written";
  r.sent(label(false), kOk, t0 + 600s);
  d = r.checked(report_with(Verdict::Clean), t0 + 900s);
  EXPECT_EQ(labels_of(r.sent(read(false), {false, 403, "cannot read: forbidden"}, t0 + 900s)),
            std::vector<ClusterRequest>{label(false)})
      << "a read that fails is no reason not to assert";
  r.sent(label(false), kOk, t0 + 900s);
  d = r.checked(report_with(Verdict::Unexpected), t0 + 1000s);
  EXPECT_EQ(labels_of(d), std::vector<ClusterRequest>{label(true)});
  EXPECT_EQ(event_reasons(d), std::vector<std::string>{"UnexpectedIPTablesRules"});
  r.sent(label(true), kOk, t0 + 1000s);
  // A fresh unknown after "true": "true" stays asked (it never hides a rule).
  d = r.checked(report_with(Verdict::Unknown), t0 + 1300s);
  EXPECT_EQ(labels_of(d), std::vector<ClusterRequest>{read(true)});
}

TEST(Reconciler, UnknownNeverSendsFalseAndALastingOneSendsTrue) {
  Reconciler r(options(true));
  r.sent(label(false), kOk, t0);
  EXPECT_TRUE(r.checked(report_with(Verdict::Clean), t0).requests.size() == 1);
  r.sent(label(false), kOk, t0);
  Decision d = r.checked(report_with(Verdict::Unknown), t0 + 1s);
  EXPECT_TRUE(d.requests.empty()) << "an old false is not re-asserted while unknown";
  EXPECT_FALSE(r.label_settled());
  d = r.checked(report_with(Verdict::Unknown), t0 + 62s);
  EXPECT_EQ(labels_of(d), std::vector<ClusterRequest>{label(true)});
  EXPECT_EQ(event_reasons(d), std::vector<std::string>{"UnreadableIPTablesRules"});
  EXPECT_TRUE(logged(d, "labelling true, the safe value"));
}

TEST(Reconciler, AHealthyWatchThatShowsTheRightLabelMeansNoWrites) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  r.observed(object("false"), t0);
  for (int i = 0; i < 5; ++i) {
    const Decision d = r.checked(report_with(Verdict::Clean), t0 + i * 300s);
    EXPECT_TRUE(d.requests.empty()) << "check " << i;
  }
  EXPECT_TRUE(r.label_settled());
  // cilium-agent's own updates (a new resourceVersion, the label kept) ask
  // for nothing either.
  EXPECT_TRUE(r.observed(object("false", "7"), t0 + 2000s).requests.empty());
}

TEST(Reconciler, ALabelRemovedOrChangedBySomeoneElseIsSetAgainAtOnce) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  r.observed(object("true"), t0);
  EXPECT_TRUE(r.checked(report_with(Verdict::Unexpected), t0).requests.empty());
  Decision d = r.observed(object(std::nullopt, "2"), t0 + 10s);
  EXPECT_EQ(labels_of(d), std::vector<ClusterRequest>{label(true)});
  EXPECT_TRUE(logged(d, "has no label; the verdict asks for true", 1));
  // While that request is in flight, another change sends nothing more...
  EXPECT_TRUE(r.observed(object("false", "3"), t0 + 10s).requests.empty());
  // ...but when it ends the latest observation is looked at again: the
  // request set "true" (optimistically recorded), so nothing more to do.
  EXPECT_TRUE(r.sent(label(true), kOk, t0 + 10s).requests.empty());
  EXPECT_TRUE(r.label_settled());
  // Someone sets "false" on a node with unexpected rules: set "true" again.
  EXPECT_EQ(labels_of(r.observed(object("false", "4"), t0 + 20s)),
            std::vector<ClusterRequest>{label(true)});
}

// The write's answer came after the watch had shown the write (its resource
// version) and a later change by someone else: the change stays seen and is
// answered, not hidden by the late answer.
TEST(Reconciler, AChangeTheWatchShowedAfterOurWriteIsAnsweredWhenTheWriteEnds) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  r.observed(object(std::nullopt, "2"), t0);
  EXPECT_EQ(labels_of(r.checked(report_with(Verdict::Clean), t0)),
            std::vector<ClusterRequest>{label(false)});
  EXPECT_TRUE(r.observed(object("false", "3"), t0 + 1s).requests.empty()) << "our write";
  EXPECT_TRUE(r.observed(object(std::nullopt, "4"), t0 + 1s).requests.empty())
      << "removed by another client; our request is still in flight";
  const RequestResult answered_rv3{true, 200, {}, object("false", "3")};
  const Decision d = r.sent(label(false), answered_rv3, t0 + 1s);
  EXPECT_EQ(labels_of(d), std::vector<ClusterRequest>{label(false)});
  EXPECT_FALSE(r.label_settled());
  EXPECT_EQ(r.label_overwrites(), 1u) << "changed back right after our write";
  // The same answer with a version the watch has not reached yet is the
  // newest state known: nothing more to send.
  Reconciler later(options());
  later.watch_health(true, "", t0);
  later.observed(object(std::nullopt, "2"), t0);
  later.checked(report_with(Verdict::Clean), t0);
  EXPECT_TRUE(later.observed(object(std::nullopt, "2b"), t0 + 1s).requests.empty());
  EXPECT_TRUE(later.sent(label(false), answered_rv3, t0 + 1s).requests.empty());
  EXPECT_TRUE(later.label_settled());
}

TEST(Reconciler, ANewCiliumNodeIsLabelledWhenItAppears) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  r.observed({false, std::nullopt, "5", {}}, t0);
  EXPECT_TRUE(r.checked(report_with(Verdict::Clean), t0).requests.empty())
      << "nothing to label yet: the watch says when it is created";
  EXPECT_EQ(labels_of(r.observed(object(std::nullopt, "6"), t0 + 40s)),
            std::vector<ClusterRequest>{label(false)});
}

TEST(Reconciler, A404WithAWatchWaitsForTheObjectOtherFailuresBackOff) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  r.observed(object(std::nullopt), t0);
  EXPECT_EQ(r.checked(report_with(Verdict::Unexpected), t0).requests.size(), 1u);
  Decision d = r.sent(label(true), {false, 404, "cannot set label: not found"}, t0);
  EXPECT_FALSE(r.next_wake()) << "deleted: wait for it to be created";
  EXPECT_TRUE(logged(d, "not found"));
  EXPECT_EQ(r.label_error(), "cannot set label: not found");
  EXPECT_EQ(labels_of(r.observed(object(std::nullopt, "9"), t0 + 5s)).size(), 1u);
  // A 503: retried after 1 s, then 2 s, then 4 s.
  r.sent(label(true), {false, 503, "unavailable"}, t0 + 5s);
  ASSERT_TRUE(r.next_wake());
  EXPECT_EQ(*r.next_wake(), t0 + 6s);
  EXPECT_TRUE(r.tick(t0 + 5500ms).requests.empty());
  EXPECT_EQ(labels_of(r.tick(t0 + 6s)).size(), 1u);
  r.sent(label(true), {false, 503, "unavailable"}, t0 + 6s);
  EXPECT_EQ(*r.next_wake(), t0 + 8s);
  EXPECT_EQ(labels_of(r.tick(t0 + 8s)).size(), 1u);
  Decision ok = r.sent(label(true), kOk, t0 + 8s);
  EXPECT_TRUE(logged(ok, "requests to the API server succeed again"));
  EXPECT_FALSE(r.next_wake());
  EXPECT_TRUE(r.label_error().empty());
}

// Issue 28: a list that finds no CiliumNode says which absence it is (the
// watch asked the Node); the reason is said once, stands in STATUS, and goes
// when the object appears.
TEST(Reconciler, AMissingCiliumNodeSaysWhyOnceUntilItAppears) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  CiliumNodeObservation absent{false, std::nullopt, "1", "no Node named node1 either"};
  Decision d = r.observed(absent, t0);
  EXPECT_TRUE(logged(d, "CiliumNode node1 not found: no Node named node1 either"));
  EXPECT_TRUE(d.requests.empty());
  EXPECT_EQ(r.label_error(), "CiliumNode node1 not found: no Node named node1 either");
  EXPECT_TRUE(r.checked(report_with(Verdict::Clean), t0 + 1s).requests.empty());
  absent.resource_version = "2";
  EXPECT_TRUE(r.observed(absent, t0 + 2s).logs.empty()) << "said once";
  absent.absent_because = "the Node node1 exists but its CiliumNode does not yet";
  EXPECT_TRUE(logged(r.observed(absent, t0 + 3s), "exists but its CiliumNode does not yet"))
      << "a different reason is said";
  // Created: labelled, and the reason gone even before the label is set.
  EXPECT_EQ(labels_of(r.observed(object(std::nullopt, "4"), t0 + 4s)),
            std::vector<ClusterRequest>{label(false)});
  EXPECT_TRUE(r.label_error().empty());
}

TEST(Reconciler, ALostWatchFallsBackToSendingAfterEveryCheckAndSaysSoOnce) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  r.observed(object("false"), t0);
  EXPECT_TRUE(r.checked(report_with(Verdict::Clean), t0).requests.empty());
  Decision lost = r.watch_health(false, "forbidden: cannot watch ciliumnodes", t0 + 1s);
  EXPECT_TRUE(logged(lost, "cannot watch CiliumNode node1 (forbidden"));
  // Nothing says the label is still there: it is asserted, but a fleet lost
  // its watches together, so not by every node at once (random 1.0: the
  // whole 10 s spread), and by reading first.
  EXPECT_TRUE(labels_of(lost).empty());
  ASSERT_TRUE(r.next_wake());
  EXPECT_EQ(*r.next_wake(), t0 + 11s);
  EXPECT_TRUE(r.checked(report_with(Verdict::Clean), t0 + 5s).requests.empty())
      << "a check re-asserting the same value waits for it too";
  EXPECT_EQ(labels_of(r.tick(t0 + 11s)), std::vector<ClusterRequest>{read(false)});
  EXPECT_TRUE(r.sent(read(false), read_found("false"), t0 + 11s).requests.empty())
      << "a freeze changed nothing: nothing written";
  EXPECT_EQ(labels_of(r.checked(report_with(Verdict::Clean), t0 + 300s)),
            std::vector<ClusterRequest>{read(false)});
  r.sent(read(false), read_found("false"), t0 + 300s);
  Decision back = r.watch_health(true, "", t0 + 400s);
  EXPECT_TRUE(logged(back, "watching CiliumNode node1"));
}

TEST(Reconciler, AStartingWatchIsWaitedForItsFirstWord) {
  ReconcilerOptions o = options();
  o.watch = true;
  Reconciler a(o);
  EXPECT_TRUE(a.checked(report_with(Verdict::Clean), t0).requests.empty())
      << "the watch says soon whether the object exists";
  EXPECT_TRUE(a.watch_health(true, "", t0 + 1s).requests.empty());
  EXPECT_TRUE(a.observed({false, std::nullopt, "1", {}}, t0 + 1s).requests.empty())
      << "no CiliumNode yet: a PATCH would get 404";
  Reconciler b(o);
  b.checked(report_with(Verdict::Clean), t0);
  EXPECT_EQ(labels_of(b.watch_health(false, "forbidden", t0 + 1s)),
            std::vector<ClusterRequest>{label(false)})
      << "no watch to be had: the fallback sends at once";
}

TEST(Reconciler, LogsAConditionWhenItStartsNotEveryCheck) {
  Reconciler r(options());
  Decision d = r.checked(report_with(Verdict::Unexpected), t0);
  EXPECT_TRUE(logged(d, "verdict unexpected"));
  EXPECT_TRUE(logged(d, "unexpected rule (legacy ipv4 filter): -A INPUT -j X"));
  r.sent(label(true), {false, 0, "no credentials: set --kubeconfig"}, t0);
  d = r.checked(report_with(Verdict::Unexpected), t0 + 300s);
  EXPECT_FALSE(logged(d, "verdict"));
  EXPECT_FALSE(logged(d, "unexpected rule")) << "not again at -v 0";
  EXPECT_TRUE(logged(d, "unexpected rule", 2)) << "every check at -v 2";
  Decision again = r.sent(label(true), {false, 0, "no credentials: set --kubeconfig"}, t0 + 300s);
  EXPECT_FALSE(logged(again, "no credentials")) << "the same error is said once";
  // Issue 15: an unknown check after a failed request sends nothing, so it
  // must not claim the API server accepts requests again.
  d = r.checked(report_with(Verdict::Unknown), t0 + 600s);
  EXPECT_FALSE(logged(d, "succeed again", 4));
  d = r.checked(report_with(Verdict::Unknown), t0 + 601s);
  EXPECT_FALSE(logged(d, "cannot read")) << "a read error is said when it starts";
}

// While the API server hangs, checks keep coming (rule changes): Events must
// not pile up behind the one in flight.
TEST(Reconciler, OneEventOfAKindInFlightAtATime) {
  Reconciler r(options(true));
  Decision d = r.checked(report_with(Verdict::Unexpected), t0);
  ASSERT_EQ(event_reasons(d), std::vector<std::string>{"UnexpectedIPTablesRules"});
  const ClusterRequest pending = d.requests.back();
  for (int i = 1; i <= 100; ++i)
    EXPECT_TRUE(event_reasons(r.checked(report_with(Verdict::Unexpected), t0 + i * 5s)).empty());
  r.sent(pending, {false, 0, "timed out"}, t0 + 600s);
  EXPECT_EQ(event_reasons(r.checked(report_with(Verdict::Unexpected), t0 + 605s)),
            std::vector<std::string>{"UnexpectedIPTablesRules"})
      << "answered (even with an error): the next check reports again";
}

// --checkMap: blocked additions are a warning, and with --events an Event
// that goes through the same one-in-flight rule as every other.
TEST(Reconciler, BlockedRuleAdditionsAreAWarningAndWithEventsOneEventInFlight) {
  EXPECT_TRUE(Reconciler(options(true)).blocked_rule_additions(0, "m").requests.empty());
  EXPECT_TRUE(Reconciler(options(true)).blocked_rule_additions(0, "m").logs.empty());

  Reconciler quiet(options(false));
  const Decision no_events = quiet.blocked_rule_additions(3, "m");
  EXPECT_TRUE(no_events.requests.empty()) << "no --events: no Event";
  EXPECT_TRUE(logged(no_events, "3 attempt(s) to add iptables rules were blocked"));

  Reconciler r(options(true));
  const Decision d = r.blocked_rule_additions(2, "blocked message");
  ASSERT_EQ(event_reasons(d), std::vector<std::string>{"BlockedIPTablesRule"});
  EXPECT_EQ(d.requests.back().message, "blocked message");
  EXPECT_TRUE(event_reasons(r.blocked_rule_additions(1, "m")).empty()) << "one in flight";
  r.sent(d.requests.back(), kOk, t0);
  EXPECT_EQ(event_reasons(r.blocked_rule_additions(1, "m")),
            std::vector<std::string>{"BlockedIPTablesRule"});

  ReconcilerOptions no_node = options(true);
  no_node.cluster = false;
  EXPECT_TRUE(Reconciler(no_node).blocked_rule_additions(5, "m").requests.empty());
}

TEST(Reconciler, WithoutANodeItDecidesAndLogsButSendsNothing) {
  ReconcilerOptions o = options(true);
  o.cluster = false;
  Reconciler r(o);
  Decision d = r.checked(report_with(Verdict::Unexpected), t0);
  EXPECT_TRUE(d.requests.empty());
  EXPECT_TRUE(logged(d, "verdict unexpected"));
}

TEST(Reconciler, SettledOnlyWhenTheAskedLabelIsConfirmed) {
  Reconciler r(options());
  r.checked(report_with(Verdict::Clean), t0);
  EXPECT_FALSE(r.label_settled()) << "in flight";
  r.sent(label(false), kOk, t0);
  EXPECT_TRUE(r.label_settled());
  r.checked(report_with(Verdict::Unknown), t0 + 1s);
  EXPECT_FALSE(r.label_settled()) << "unknown asks for nothing: never settled";
}

TEST(Reconciler, TheSpreadOfTheFallbackFollowsTheRandomDraw) {
  Reconciler r(options(false, 0.25));
  r.watch_health(true, "", t0);
  r.observed(object("false"), t0);
  r.checked(report_with(Verdict::Clean), t0);
  r.watch_health(false, "cut", t0);
  ASSERT_TRUE(r.next_wake());
  EXPECT_EQ(*r.next_wake(), t0 + 2500ms);
}

// Issue 30: a restarting API server refuses (403) before its authorizer has
// synced. The refused PATCH is retried with back-off that the watch's
// relist, its events and checks do not bypass.
TEST(Reconciler, ARefusedPatchWaitsItsBackoffWhateverTheWatchAndChecksSay) {
  Reconciler r(options());
  r.watch_health(true, "", t0);
  r.observed(object(std::nullopt), t0);
  ASSERT_EQ(labels_of(r.checked(report_with(Verdict::Unexpected), t0)),
            std::vector<ClusterRequest>{label(true)});
  Decision refused = r.sent(label(true), {false, 403, "cannot set label: 403 Forbidden"}, t0);
  EXPECT_TRUE(logged(refused, "403 Forbidden")) << "said at once";
  ASSERT_TRUE(r.next_wake());
  EXPECT_EQ(*r.next_wake(), t0 + 1s);
  size_t patches = 0;
  // The watch reconnects and relists (new resource versions, the label still
  // missing), checks come: nothing is sent before the back-off ends.
  for (int i = 1; i < 10; ++i) {
    patches +=
        labels_of(r.observed(object(std::nullopt, std::to_string(i)), t0 + i * 100ms)).size();
    patches += labels_of(r.watch_health(i % 2 == 0, "cut", t0 + i * 100ms)).size();
    patches += labels_of(r.checked(report_with(Verdict::Unexpected), t0 + i * 100ms)).size();
  }
  EXPECT_EQ(patches, 0u);
  r.watch_health(true, "", t0 + 950ms);
  EXPECT_EQ(labels_of(r.tick(t0 + 1s)), std::vector<ClusterRequest>{label(true)});
  r.sent(label(true), {false, 403, "cannot set label: 403 Forbidden"}, t0 + 1s);
  EXPECT_EQ(*r.next_wake(), t0 + 3s) << "doubling";
  // The draw spreads a fleet: at the bottom, half the first step.
  Reconciler low(options(false, 0.0));
  low.checked(report_with(Verdict::Unexpected), t0);
  low.sent(label(true), {false, 403, "forbidden"}, t0);
  EXPECT_EQ(*low.next_wake(), t0 + 500ms);
}

TEST(Reconciler, RetryBackoffIsCappedAtAMinute) {
  Reconciler r(options());
  r.checked(report_with(Verdict::Unexpected), t0);
  Clock::time_point now = t0;
  for (int i = 0; i < 12; ++i) {
    r.sent(label(true), {false, 503, "unavailable"}, now);
    ASSERT_TRUE(r.next_wake());
    EXPECT_LE(*r.next_wake() - now, Clock::duration(60s));
    now = *r.next_wake();
    ASSERT_EQ(labels_of(r.tick(now)).size(), 1u) << i;
  }
  r.sent(label(true), {false, 503, "unavailable"}, now);
  EXPECT_EQ(*r.next_wake() - now, Clock::duration(60s));
}

// None of the pacing holds up a value not asked before: a new verdict, above
// all toward "true", is sent at once.
TEST(Reconciler, ANewVerdictIsNeverHeldUpByBackoffOrSpread) {
  Reconciler r(options());
  r.checked(report_with(Verdict::Clean), t0);
  r.sent(label(false), {false, 503, "unavailable"}, t0);
  ASSERT_TRUE(r.next_wake());
  EXPECT_EQ(labels_of(r.checked(report_with(Verdict::Unexpected), t0 + 100ms)),
            std::vector<ClusterRequest>{label(true)});
  r.sent(label(true), kOk, t0 + 100ms);
  // A lost watch's spread fallback pending: a new verdict goes anyway.
  Reconciler w(options());
  w.watch_health(true, "", t0);
  w.observed(object("false"), t0);
  w.checked(report_with(Verdict::Clean), t0);
  w.watch_health(false, "cut", t0 + 1s);
  EXPECT_EQ(labels_of(w.checked(report_with(Verdict::Unexpected), t0 + 2s)),
            std::vector<ClusterRequest>{label(true)});
}

// Issue 30: another writer that keeps changing the label back is answered
// with back-off (1 s doubling to 60 s), said once, counted; a change long
// after our last write is answered at once.
TEST(Reconciler, ALabelAnotherWriterKeepsChangingBackIsResetWithBackoffAndSaidOnce) {
  Reconciler r(options(true));
  r.watch_health(true, "", t0);
  r.observed(object("false"), t0);
  ASSERT_EQ(labels_of(r.checked(report_with(Verdict::Unexpected), t0)),
            std::vector<ClusterRequest>{label(true)});
  r.sent(label(true), kOk, t0);
  r.observed(object("true", "2"), t0);
  // The other writer answers every write 50 ms later, for ten minutes.
  Clock::time_point now = t0;
  size_t patches = 0, warnings = 0, events = 0;
  std::vector<Clock::duration> waits;
  for (int rv = 3; now < t0 + 600s; rv += 2) {
    now += 50ms;
    Decision d = r.observed(object("false", std::to_string(rv)), now);
    warnings += logged(d, "another writer keeps changing the label");
    events += event_reasons(d).size();
    if (labels_of(d).empty()) {
      ASSERT_TRUE(r.next_wake());
      waits.push_back(*r.next_wake() - now);
      now = *r.next_wake();
      d = r.tick(now);
    } else {
      EXPECT_EQ(rv, 3) << "only the first overwrite is answered at once";
    }
    ASSERT_EQ(labels_of(d), std::vector<ClusterRequest>{label(true)});
    ++patches;
    r.sent(label(true), kOk, now);
    r.observed(object("true", std::to_string(rv + 1)), now);
  }
  ASSERT_GE(waits.size(), 7u);
  EXPECT_EQ(waits[0], Clock::duration(1s));
  EXPECT_EQ(waits[1], Clock::duration(2s));
  EXPECT_EQ(waits[5], Clock::duration(32s));
  EXPECT_EQ(waits[6], Clock::duration(60s)) << "capped";
  EXPECT_LE(patches, 20u) << "not ~20 a second";
  EXPECT_EQ(warnings, 1u);
  EXPECT_EQ(events, 1u);
  EXPECT_EQ(r.label_overwrites(), waits.size() + 1);
  // Quiet for longer than the window: the next change is answered at once.
  EXPECT_EQ(labels_of(r.observed(object(std::nullopt, "9999"), now + 120s)),
            std::vector<ClusterRequest>{label(true)});
}

}  // namespace
}  // namespace aim
