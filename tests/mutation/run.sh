#!/bin/bash
# Mutation testing: every place that keeps the promise fail-closed (a wrong
# `false` label is the worst bug) has a mutant here that a test must kill.
#   run.sh --list    one mutant a line
#   run.sh --quick   the 10 most important (a CI tier: cheap unit filters)
#   run.sh           all of them
#   run.sh --only ID[,ID...]  those mutants
#   run.sh --without-its-test ID
#                    one mutant against the rest of its test binary (its own
#                    filter left out): `survived` shows that the test named
#                    for it is the one that kills it
# Each mutant is applied to a scratch copy of the tree (copied once, built
# incrementally in one build directory), its test filter is run, the file is
# restored. A mutant is `caught` if the filter fails (or times out),
# `survived` if it passes, `invalid` if its text does not occur exactly once,
# it does not compile or its filter runs no test; `equivalent` ones (marked
# with the reason in mutants.txt) are only checked to be still applicable.
# AIM_MUTATION_DIR keeps the scratch copy between runs (default: a temporary
# directory removed at the end); AIM_MUTATION_TIMEOUT bounds one filter run.
set -eu
set -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MUTANTS="python3 $HERE/mutants.py"
JOBS=${JOBS:-2}
TIMEOUT=${AIM_MUTATION_TIMEOUT:-600}

mode=all only="" invert=""
case "${1:-}" in
  --list) $MUTANTS list | awk -F'\t' '{ printf "%-34s %-38s %s %s%s\n", $1, $2, $4, $5, ($6 != "" ? "  [equivalent: " $6 "]" : "") }'; exit 0 ;;
  --quick) mode=quick ;;
  --only) only=${2:?--only needs a mutant id} ;;
  --without-its-test) only=${2:?--without-its-test needs a mutant id} invert=yes ;;
  "") ;;
  *) echo "usage: $0 [--list|--quick|--only ID|--without-its-test ID]" >&2; exit 2 ;;
esac

if [ -n "${AIM_MUTATION_DIR:-}" ]; then
  SCRATCH=$AIM_MUTATION_DIR
  mkdir -p "$SCRATCH"
else
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/aim-mutation.XXXXXX")
  trap 'rm -rf "$SCRATCH"' EXIT
fi
SRC=$SCRATCH/src BUILD=$SCRATCH/build BACKUP=$SCRATCH/original LOG=$SCRATCH/log
mkdir -p "$SRC"
start=$(date +%s)
$MUTANTS sync "$ROOT" "$SRC"
# From here on the copy's list: editing the tree cannot change a running run.
MUTANTS="python3 $SRC/tests/mutation/mutants.py"

list=$($MUTANTS list $([ "$mode" = quick ] && echo --quick))
[ -z "$only" ] || list=$(printf '%s\n' "$list" | awk -F'\t' -v ids="$only" \
  'BEGIN { n = split(ids, a, ","); for (i = 1; i <= n; i++) want[a[i]] = 1 } $1 in want')
[ -n "$list" ] || { echo "no mutant selected" >&2; exit 2; }
if [ -n "$invert" ]; then
  # gtest: a filter after '-' is what to leave out.
  list=$(printf '%s\n' "$list" | awk -F'\t' -v OFS='\t' '$3 == "gtest" { $5 = "-" $5; print }')
  [ -n "$list" ] || { echo "--without-its-test needs a mutant with a gtest filter" >&2; exit 2; }
fi

# Only the targets the selected filters need are built: the quick subset
# stays on the unit test binaries.
targets=$(printf '%s\n' "$list" | awk -F'\t' '$6 == "" { print ($3 == "ctest" ? "all" : $4) }' | sort -u)
build() {  # build TARGET... -> status
  local t args=()
  for t in "$@"; do [ "$t" = all ] || args+=(--target "$t"); done
  cmake --build "$BUILD" -j "$JOBS" "${args[@]}" >"$LOG" 2>&1
}
echo "mutation: building the scratch copy in $SCRATCH ($(echo $targets))"
# -O0 without debug information: compiling is most of the cost, and a
# mutant is about behaviour, not speed.
# ccache, where installed, keeps rebuilds of a kept scratch copy cheap.
launcher=()
command -v ccache >/dev/null &&
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
  -DCMAKE_C_FLAGS_DEBUG=-O0 "${launcher[@]}" >"$LOG" 2>&1 || { cat "$LOG"; exit 1; }
# shellcheck disable=SC2086
build $targets || { tail -50 "$LOG"; echo "mutation: the unmutated tree does not build" >&2; exit 1; }

# run_filter KIND TARGET FILTER -> 0 passed, 1 failed, 2 ran no test
run_filter() {
  local kind=$1 target=$2 filter=$3 rc=0
  if [ "$kind" = ctest ]; then
    # In a subshell of its own: the shell's "Segmentation fault" for a
    # crashing mutant goes to the log, not between the results.
    (timeout "$TIMEOUT" ctest --test-dir "$BUILD" -R "$filter" --output-on-failure; exit $?) \
      >"$LOG" 2>&1 || rc=1
    grep -q 'No tests were found' "$LOG" && return 2
  else
    (timeout "$TIMEOUT" "$BUILD/tests/$target" --gtest_filter="$filter"; exit $?) >"$LOG" 2>&1 || rc=1
    grep -q '^\[==========\] 0 tests from' "$LOG" && return 2
  fi
  return $rc
}

# A filter that fails on the unmutated tree would "catch" every mutant.
declare -A baseline
while IFS=$'\t' read -r id file kind target filter equivalent; do
  [ -z "$equivalent" ] || continue
  key="$kind $target $filter"
  [ -z "${baseline[$key]:-}" ] || continue
  rc=0; run_filter "$kind" "$target" "$filter" || rc=$?
  baseline[$key]=$rc
  [ $rc = 0 ] || echo "mutation: filter '$key' fails without any mutant (status $rc); its mutants are invalid" >&2
done <<<"$list"

n=0 caught=0 equivalent_n=0 survived=0 invalid=0
while IFS=$'\t' read -r id file kind target filter equivalent; do
  n=$((n + 1))
  t0=$(date +%s)
  if [ -n "$equivalent" ]; then
    if $MUTANTS check "$SRC" "$id"; then result=equivalent; else result=invalid; fi
  elif [ "${baseline["$kind $target $filter"]}" != 0 ]; then
    result=invalid
  elif ! $MUTANTS apply "$SRC" "$id" "$BACKUP"; then
    result=invalid
  else
    if ! build "$([ "$kind" = ctest ] && echo all || echo "$target")"; then
      result=invalid
    else
      rc=0; run_filter "$kind" "$target" "$filter" || rc=$?
      case $rc in 0) result=survived ;; 1) result=caught ;; *) result=invalid ;; esac
    fi
    # cp, not mv: the restored file is newer than the mutant's object.
    cp "$BACKUP" "$SRC/$file"
  fi
  case $result in
    caught) caught=$((caught + 1)) ;;
    survived) survived=$((survived + 1)) ;;
    equivalent) equivalent_n=$((equivalent_n + 1)) ;;
    invalid) invalid=$((invalid + 1)) ;;
  esac
  printf '%-10s %-40s %s (%ss)\n' "$result" "$id" "$file" "$(($(date +%s) - t0))"
done <<<"$list"

echo "mutation: $(($(date +%s) - start)) s"
line="mutants $n, caught $caught, equivalent $equivalent_n, survived $survived"
[ "$invalid" = 0 ] || line="$line, invalid $invalid"
echo "$line"
[ "$survived" = 0 ] && [ "$invalid" = 0 ]
