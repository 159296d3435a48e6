#!/bin/bash
# Installs what the project needs, builds, and runs the whole test suite:
#   1. the suite on the normal build;
#   2. the suite again on an AddressSanitizer + UndefinedBehaviorSanitizer
#      build (LeakSanitizer included: the daemon soak exits non-zero on a leak);
#   3. the service's threads under ThreadSanitizer: a named subset (the
#      daemon's thread and exception tests, the service tests that exercise
#      every worker thread), built alone, with its waits stretched by
#      AIM_TEST_TIME_SCALE for TSan's 5-15x slowdown;
#   4. every libFuzzer target for FUZZ_SECONDS (default 20: CI's budget) each;
#   5. the quick mutation subset (tests/mutation/run.sh --quick): the ten
#      most important fail-closed lines each have a test that fails without
#      them.
# Every tier prints its wall time, so CI's budget stays visible.
# Before the suite, the .deb and .rpm are built and linted
# (scripts/build-packages.sh); the suite installs the .deb into a booted
# systemd container (tests/packaging/deb_nspawn_e2e.sh).
# Run as root: integration tests use private network namespaces (unshare -n),
# the real iptables and a real kube-apiserver; as non-root they skip and say why.
set -eu
# A failing ctest inside a pipe must still fail the script.
set -o pipefail
cd "$(dirname "$0")/.."
# tier NAME: prints the previous tier's wall time, then NAME's header.
tier_name="" tier_start=0
tier() {
  [ -z "$tier_name" ] || echo "== $tier_name: $(($(date +%s) - tier_start)) s"
  tier_name=$1 tier_start=$(date +%s)
  [ -z "$tier_name" ] || echo "== $tier_name"
}
tier "dependencies and build"
./scripts/install-deps.sh
./scripts/build.sh
tier "kube-apiserver"
# The real API server tier needs kube-apiserver built from Debian's source
# package: ~10 minutes once per machine, cached under /var/cache.
# Under CI=true (CI sets it) every tier is required: what cannot run fails
# the run, naming what was missing, instead of skipping quietly.
in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != false ] && [ "${CI}" != 0 ]; }
if [ "$(id -u)" = 0 ]; then
  if AIM_KUBE_APISERVER=$(./tests/support/build_kube_apiserver.sh); then
    export AIM_KUBE_APISERVER
  elif in_ci; then
    echo "run-tests: ERROR: building kube-apiserver failed; CI requires the real API server tier" >&2
    exit 1
  else
    echo "run-tests: WARNING: building kube-apiserver failed; the real API server tests will skip" >&2
  fi
elif in_ci; then
  echo "run-tests: ERROR: CI must run as root (namespaces, iptables, systemd-nspawn)" >&2
  exit 1
fi
tier "packages"
OUT="$(pwd)/${BUILD_DIR:-build}/packages" ./scripts/build-packages.sh all

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
passed=0 failed=0 skipped=0
# Adds one ctest run's counts (from its own summary) to the totals.
count() {
  local total fail skip
  total=$(grep -o 'tests failed out of [0-9]*' "$LOG" | tail -1 | grep -o '[0-9]*$' || echo 0)
  fail=$(grep -o '[0-9]* tests failed out of' "$LOG" | tail -1 | grep -o '^[0-9]*' || echo 0)
  skip=$(grep -c '(Skipped)$' "$LOG" || true)
  [ -n "$total" ] || total=0
  passed=$((passed + total - fail - skip)) failed=$((failed + fail)) skipped=$((skipped + skip))
}
status=0

tier "test suite"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" | tee "$LOG" || status=1
count

tier "test suite under ASan + UBSan"
cmake -S . -B build-asan -DAIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j "$(nproc)" >/dev/null
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" | tee "$LOG" || status=1
count

# Only the daemon and its in-process thread tests are built under TSan (the
# readers' and cluster tests are not: CI's budget); the service tests, which
# run the daemon as a program, come from the normal build and run the TSan
# binary (AIM_TEST_BINARY). Only the tests below run. Each exercises a thread
# of the service: the logger from many threads, the exception barrier,
# checks with reloads and rule changes (checks, poller, nf_tables listener),
# requests against a server that goes away or hangs (requests), the
# CiliumNode watch (watcher), the metrics file (files) and SIGTERM while all
# of them run. A report fails the test that provoked it (the daemon's log is
# searched for one; an in-process report makes the test program exit
# non-zero). AIM_TEST_TIME_SCALE stretches the tests' bounded waits.
tier "service threads under ThreadSanitizer"
TSAN_UNIT='^unit\.(Logger|LoopWorkerTest|DaemonExceptionBarrier|FailedCheck|RuleChangeWatchTest|CheckJobTest|MetricsWriterTest)\.'
TSAN_SERVICE='^integration\.DaemonTest\.(FollowsTheRulesAndReloadsAndStops|StopsPromptlyEvenWhileTheApiServerHangs|SurvivesTheApiServerGoingAwayAndComingBack)$'
TSAN_SERVICE+='|^integration\.RuleChangeTest\.(AnNftRuleAddedOrRemovedIsCheckedAtOnce|BackToBackChangesAreEachCheckedAtTheirCost)$'
TSAN_SERVICE+='|^integration\.CiliumNodeWatchTest\.ALabelChangedByAnotherClientIsSetBackAndSteadyStateWritesNothing$'
TSAN_SERVICE+='|^integration\.OperatorServiceTest\.TheMetricsFilePassesPromtoolAndFollowsTheVerdict$'
TSAN_SERVICE+='|^integration\.ListenTest\.HealthzAndMetricsAreServedAndHealthzFailsWhileTheLoopIsBlocked$'
cmake -S . -B build-tsan -DAIM_TSAN=ON -DCMAKE_BUILD_TYPE=None >/dev/null
cmake --build build-tsan -j "$(nproc)" --target azure-iptables-monitor service_unit_tests >/dev/null
export AIM_TEST_TIME_SCALE=10 TSAN_OPTIONS="second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
ctest --test-dir build-tsan -R "$TSAN_UNIT" --output-on-failure -j "$(nproc)" | tee "$LOG" ||
  status=1
count
AIM_TEST_BINARY=$(pwd)/build-tsan/azure-iptables-monitor \
  ctest --test-dir "${BUILD_DIR:-build}" -R "$TSAN_SERVICE" --output-on-failure -j "$(nproc)" |
  tee "$LOG" || status=1
count
unset AIM_TEST_TIME_SCALE TSAN_OPTIONS

tier "fuzzers"
fuzzers=$(ls tests/fuzz/fuzz_*.cpp | wc -l)
if ./tests/fuzz/run-fuzzers.sh; then
  passed=$((passed + fuzzers))
else
  failed=$((failed + 1)) status=1
fi

# Builds its own scratch copy of the tree (the unit test binaries only).
tier "mutation (quick)"
if ./tests/mutation/run.sh --quick; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)) status=1
fi
tier ""

if [ "$skipped" -gt 0 ] && in_ci; then
  echo "run-tests: ERROR: $skipped tests skipped; CI requires every tier to run" >&2
  status=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
