#!/bin/bash
# The whole GPU check in one command, since device time is short and a machine starts bare:
# build the addon against the GPU machine's PyTorch (libtorch 2.x, CUDA) and, in parallel, the
# bench:engine C++ twin; the engine smoke check; bench:engine on CUDA at 192² and 384², batch 8;
# then CC2D stage 1 on ISBI (full width, batch 8) until a deadline, predicting Test1.
#
# Here (a machine with node, npm and ../shared), once:   bash native/gpu/check.sh pack
#   packs node + Node-API headers (../shared/gpu/pack.sh), bundles the entry points (scripts/gpu/*.ts,
#   bench/engine.ts) into .gpu/*.mjs
#   (esbuild: no node_modules needed there) and the ISBI pack (.gpu/isbi384.bin.xz, images only
#   at the training grid plus template 125's landmarks).
# On the GPU machine (device tool; carry ".gpu" and "node_modules/node-addon-api"):
#   bash native/gpu/check.sh run [budgetSec=540]
# Env: SKIP_CC2D=1 stops after the benchmarks; BENCH_SIZES (default "192 384").
# Results go to $OUT (default .gpu/out): device.log, bench192.json, bench384.json, summary.json,
# test1-stage1.csv. Evaluate the predictions here:
#   npx onemark evaluate --pred <files_at>/test1-stage1.csv --gt ../shared/isbi2015:test1 --out <dir>
set -uo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
  pack)
    set -e
    PACK=""
    for p in ../shared/gpu/pack.sh /work/shared/gpu/pack.sh; do [ -f "$p" ] && PACK="$p" && break; done
    [ -n "$PACK" ] || { echo "pack.sh not found (../shared/gpu/pack.sh)"; exit 1; }
    bash "$PACK" .gpu
    for e in scripts/gpu/smoke.ts:smoke bench/engine.ts:bench-engine bench/engine/twin.ts:twin scripts/gpu/cc2d-isbi.ts:cc2d-isbi; do
      npx esbuild "${e%%:*}" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
        --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
        --outfile=".gpu/${e##*:}.mjs"
    done
    [ -f .gpu/isbi384.bin.xz ] || { npx tsx scripts/gpu/pack-isbi.ts 384 .gpu/isbi384.bin && xz -T2 -6 -f .gpu/isbi384.bin; }
    du -sh .gpu
    echo "packed: .gpu (carry it and node_modules/node-addon-api)"
    ;;
  run)
    BUDGET=${2:-540}
    OUT=${OUT:-.gpu/out}; mkdir -p "$OUT"
    exec > >(tee -a "$OUT/device.log") 2>&1
    xz -dc .gpu/node.xz > .gpu/node && chmod +x .gpu/node && export PATH=$PWD/.gpu:$PATH
    ( [ -f .gpu/isbi384.bin.xz ] && xz -dc .gpu/isbi384.bin.xz > .gpu/isbi384.bin ) & UNXZ=$!
    if python3 -c "import torch" 2>/dev/null; then
      LIBTORCH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))"); export LIBTORCH
    fi
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    python3 -c "import torch;print('torch', torch.__version__, 'cuda', torch.version.cuda)"
    echo "[$SECONDS s] building addon and twin against ${LIBTORCH:-the system libtorch}"
    node .gpu/twin.mjs > .gpu/twin.log 2>&1 & TWIN=$!
    if ! node scripts/build-native.mjs --nodedir=.gpu/nodedir --jobs="$(nproc)"; then
      echo "ADDON BUILD FAILED"; kill $TWIN 2>/dev/null; exit 1
    fi
    echo "[$SECONDS s] addon built"
    node .gpu/smoke.mjs; echo "[$SECONDS s] smoke rc=$?"
    wait $TWIN; echo "twin rc=$?"; cat .gpu/twin.log
    for s in ${BENCH_SIZES:-192 384}; do
      timeout 120 node .gpu/bench-engine.mjs --device cuda --size $s --batch 8 --steps 40 --warmup 10 --json > "$OUT/bench$s.json"
      echo "[$SECONDS s] bench $s rc=$?"; tail -c 1500 "$OUT/bench$s.json"; echo
    done
    wait $UNXZ  # (a bare wait would also wait for the tee above, forever)
    [ "${SKIP_CC2D:-0}" = 1 ] && { echo "[$SECONDS s] done (SKIP_CC2D=1)"; exit 0; }
    LEFT=$((BUDGET - SECONDS - 45))
    echo "[$SECONDS s] cc2d stage 1, training deadline ${LEFT}s"
    [ "$LEFT" -gt 30 ] && timeout $((LEFT + 40)) node .gpu/cc2d-isbi.mjs .gpu/isbi384.bin "$OUT" "${CC2D_ITERATIONS:-5600}" "$LEFT" "${CC2D_PRESET:-full}" /tmp/onemark-cc2d-run
    echo "[$SECONDS s] done rc=$?"
    ;;
  *)
    echo "usage: bash native/gpu/check.sh pack|run [budgetSec]"; exit 2 ;;
esac
