#!/bin/sh
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) and runs each
# for FUZZ_SECONDS (default 20), two at a time. A crash leaves its input in
# build-fuzz/findings/<target>/ and fails the run: add it to
# tests/fuzz/corpus/<target>/ as a regression seed once fixed.
set -eu
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-20}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DAIM_FUZZ=ON -DAIM_SANITIZE=ON -DAIM_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
status=0
run_one() {
  t=$1
  mkdir -p build-fuzz/findings/$t build-fuzz/corpus/$t
  if build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build-fuzz/findings/$t/ build-fuzz/corpus/$t tests/fuzz/corpus/$t \
      > build-fuzz/findings/$t.log 2>&1; then
    echo "fuzz $t: $(grep -o 'stat::number_of_executed_units: [0-9]*' build-fuzz/findings/$t.log || tail -1 build-fuzz/findings/$t.log)"
  else
    echo "fuzz $t: FAILED (see build-fuzz/findings/$t.log)"; tail -30 build-fuzz/findings/$t.log
    return 1
  fi
}
for pair in "allowlist save_parser" "kubeconfig api_status" "rule_stream native_listing" \
    "env_file watch_stream" "nft_translate"; do
  pids=""
  for t in $pair; do run_one "$t" & pids="$pids $!"; done
  for p in $pids; do wait "$p" || status=1; done
done
exit $status
