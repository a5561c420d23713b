#!/usr/bin/env bash
# Installs whatever OneMark is missing, idempotently: libtorch (system package when LIBTORCH is
# not set), Debian's Chromium for the end-to-end tests, npm packages, and the native addon build.
# Safe to run before every command; it does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "onemark setup: missing $* and no apt-get here; install it by hand (see README)." >&2
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ -z "${LIBTORCH:-}" ] && [ ! -f /usr/include/torch/csrc/api/include/torch/torch.h ]; then
  echo "onemark setup: installing libtorch-dev (Debian's CPU libtorch)…" >&2
  apt_install libtorch-dev
fi
if [ "${ONEMARK_SKIP_CHROMIUM:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "onemark setup: installing chromium (end-to-end tests)…" >&2
  apt_install chromium || echo "onemark setup: chromium not installed; browser tests will skip" >&2
fi
# A one-node Slurm for the cluster tests (scripts/slurm-local.sh starts it; nothing runs at install).
if [ "${ONEMARK_SKIP_SLURM:-0}" != 1 ] && ! { command -v slurmctld && command -v slurmd && command -v munged && command -v sbatch; } >/dev/null 2>&1; then
  echo "onemark setup: installing slurmctld, slurmd, munge (cluster tests)…" >&2
  apt_install slurmctld slurmd munge slurm-client || echo "onemark setup: Slurm not installed; cluster tests will skip" >&2
fi

# Electron's binary cannot be downloaded everywhere; the app's Node services and the renderer
# work without it, and Electron-only tests skip with that reason.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "onemark setup: installing npm packages…" >&2
  npm ci --no-audit --no-fund
fi
# Rebuilds only when sources or libtorch changed (stamp inside native/build).
node scripts/build-native.mjs
