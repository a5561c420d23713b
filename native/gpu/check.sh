#!/bin/bash
# Builds the addon against the GPU machine's PyTorch and runs the engine's GPU smoke check.
#
# Here (a machine with node and npm), once:   bash native/gpu/check.sh pack
#   packs node + Node-API headers (via /work/shared/gpu/pack.sh or ../shared/gpu/pack.sh) and bundles
#   native/gpu/smoke.ts into .gpu/smoke.mjs (esbuild; no node_modules needed there).
# On the GPU machine (device tool; carry ".gpu" and "node_modules/node-addon-api"):
#   bash native/gpu/check.sh run
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
  pack)
    PACK=""
    for p in ../shared/gpu/pack.sh /work/shared/gpu/pack.sh; do [ -f "$p" ] && PACK="$p" && break; done
    [ -n "$PACK" ] || { echo "pack.sh not found (../shared/gpu/pack.sh)"; exit 1; }
    bash "$PACK" .gpu
    npx esbuild native/gpu/smoke.ts --bundle --platform=node --format=esm --target=node20 --outfile=.gpu/smoke.mjs
    echo "packed: .gpu (carry it and node_modules/node-addon-api)"
    ;;
  run)
    xz -dc .gpu/node.xz > .gpu/node && chmod +x .gpu/node && export PATH=$PWD/.gpu:$PATH
    LIBTORCH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))")
    export LIBTORCH
    node scripts/build-native.mjs --nodedir=.gpu/nodedir --jobs="$(nproc)"
    # The bundle resolves the addon next to the cwd: native/build/onemark.node.
    node .gpu/smoke.mjs
    ;;
  *)
    echo "usage: bash native/gpu/check.sh pack|run"; exit 2 ;;
esac
