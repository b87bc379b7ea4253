#!/bin/sh
# Runs each fuzz target named after the first argument for that many seconds, one after
# another, and prints what each did. Usage: Fuzz/run.sh SECONDS TARGET...
#
# libFuzzer runs in fork mode so a crash, timeout or out-of-memory input is saved and the
# campaign goes on. Corpora grow in $FUZZ_DIR/corpus/<target> (kept between runs); seeds
# come from $FUZZ_DIR/seeds/<target> (Fuzz/corpus.py), keywords from
# Fuzz/Dictionaries/<target>.dict when there is one; findings land in
# $FUZZ_DIR/findings/<target>, to be copied into Fuzz/Crashes/<target> once understood
# (not "artifacts": SwiftPM empties <scratch path>/artifacts on every build).
set -u
seconds=$1; shift
dir=${FUZZ_DIR:-.build-fuzz}
bin=${FUZZ_BIN:-$dir/debug}
args=${FUZZ_ARGS:--rss_limit_mb=4096 -timeout=20 -max_len=8192}
summary=$dir/summary.txt
: > "$summary"
status=0
for t in "$@"; do
    mkdir -p "$dir/corpus/$t" "$dir/findings/$t" "$dir/logs" "$dir/seeds/$t"
    log=$dir/logs/$t.log
    before=$(ls "$dir/findings/$t" | wc -l)
    start=$(date +%s)
    dict=
    [ -f "Fuzz/Dictionaries/$t.dict" ] && dict=-dict=Fuzz/Dictionaries/$t.dict
    # shellcheck disable=SC2086
    "$bin/fuzz-$t" $dict -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -print_final_stats=1 $args \
        -artifact_prefix="$dir/findings/$t/" "$dir/corpus/$t" "$dir/seeds/$t" > "$log" 2>&1
    took=$(( $(date +%s) - start ))
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
    execs=$(echo "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    found=$(( $(ls "$dir/findings/$t" | wc -l) - before ))
    [ "$found" -gt 0 ] && status=1
    line=$(printf '%-11s %4ss  execs %9s  exec/s %6s  cov %6s  ft %7s  corpus %6s  findings %s' \
        "$t" "$took" "${execs:-0}" "$(( ${execs:-0} / (took > 0 ? took : 1) ))" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$found")
    echo "$line" | tee -a "$summary"
    ls -t "$dir/findings/$t" | head -n "$found" | sed "s|^|    $dir/findings/$t/|"
done
exit $status
