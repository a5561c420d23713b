#!/usr/bin/env bash
# Runs the numerical tests (the ones that train and bound an error) under each libtorch CPU
# kernel path, and with several test seeds, printing every figure they log and the counts.
# A bound that holds only on the kernels of one CPU fails CI on another: set bounds from this
# spread, never from one run.
#
#   bash scripts/numeric-capabilities.sh                 # native, default, avx2 (+ avx512 where the CPU has it), seed offset 0
#   CAPS="default avx2" SEEDS="0 1 2" bash scripts/numeric-capabilities.sh
#   bash scripts/numeric-capabilities.sh test/methods/cc2d/pipeline.test.ts   # only these files
#
# ATEN_CPU_CAPABILITY picks ATen's vectorised kernels; ONEDNN_MAX_CPU_ISA caps oneDNN's (convs) to
# the same level, so "default" really runs the plain paths. "native" sets neither: what the
# machine picks by itself (on an AVX-512 CPU, Debian's libtorch 1.13 runs ATen at avx2 but
# oneDNN's convs at AVX-512, a combination no capability value reproduces). ONEMARK_TEST_SEED_OFFSET shifts the
# training seeds of the tests that read it (test/support/seeds.ts).
set -uo pipefail
cd "$(dirname "$0")/.."

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(
    test/methods/cc2d/pipeline.test.ts
    test/methods/sla/train.test.ts
    test/methods/sla/registry.test.ts
    test/methods/atd/train.test.ts
    test/methods/adapter/train.test.ts
    test/methods/f2/f2.test.ts
    test/cli/train-methods.test.ts
    test/cli/train-resume.test.ts
    test/app/engine-job.test.ts
  )
fi
if [ -z "${CAPS:-}" ]; then
  CAPS="native default avx2"
  grep -q avx512f /proc/cpuinfo 2>/dev/null && CAPS="$CAPS avx512"
fi
SEEDS="${SEEDS:-0}"

declare -A onednn=([default]=SSE41 [avx2]=AVX2 [avx512]=AVX512_CORE)
status=0
for cap in $CAPS; do
  for seed in $SEEDS; do
    log=$(mktemp)
    if [ "$cap" = native ]; then
      echo "== native kernels, seed offset $seed"
      env -u ATEN_CPU_CAPABILITY -u ONEDNN_MAX_CPU_ISA ONEMARK_TEST_SEED_OFFSET=$seed \
        npx vitest run --project unit "${files[@]}" >"$log" 2>&1 || status=1
    else
      echo "== ATEN_CPU_CAPABILITY=$cap ONEDNN_MAX_CPU_ISA=${onednn[$cap]:-ALL} seed offset $seed"
      ATEN_CPU_CAPABILITY=$cap ONEDNN_MAX_CPU_ISA=${onednn[$cap]:-ALL} ONEMARK_TEST_SEED_OFFSET=$seed \
        npx vitest run --project unit "${files[@]}" >"$log" 2>&1 || status=1
    fi
    # The figures the tests log (px errors) and the closing count line.
    sed -E 's/\x1b\[[0-9;]*m//g' "$log" | grep -E ' px|^[0-9]+ passed, [0-9]+ failed|AssertionError' | sed 's/^/  /'
    rm -f "$log"
  done
done
exit $status
