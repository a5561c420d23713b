#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the cluster tests and for trying `onemark train
# --slurm` without a real cluster: Debian's slurmctld + slurmd + munge, installed when missing.
#
#   bash scripts/slurm-local.sh start    install if needed, write the config, start the daemons
#   bash scripts/slurm-local.sh stop     stop the daemons this script started
#   bash scripts/slurm-local.sh status   say whether they run; print the SLURM_CONF line
#
# Everything lives in a state dir (ONEMARK_SLURM_DIR, default /tmp/onemark-slurm): slurm.conf, the
# munge key and socket, spool, logs and pid files. Nothing under /etc is written, so a machine's own
# Slurm (if any) is untouched; clients find this cluster through SLURM_CONF=<dir>/slurm.conf, which
# `start` prints as its last line. Ports differ from Slurm's defaults for the same reason.
# The node is this host with ONEMARK_SLURM_CPUS CPUs (default 3, whatever the hardware: the tests
# run 3 single-thread tasks at once), no cgroups (containers often lack them) and pgid process
# tracking, so it works inside a container. Run it as root (slurmd must run as root; setup.sh
# and CI do).
set -euo pipefail

DIR="${ONEMARK_SLURM_DIR:-/tmp/onemark-slurm}"
CPUS="${ONEMARK_SLURM_CPUS:-3}"
CTLD_PORT="${ONEMARK_SLURM_CTLD_PORT:-16817}"
SLURMD_PORT="${ONEMARK_SLURM_SLURMD_PORT:-16818}"
CONF="$DIR/slurm.conf"
HOST="$(hostname -s)"

say() { echo "slurm-local: $*" >&2; }

install_missing() {
  local need=()
  command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
  command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
  command -v munged >/dev/null 2>&1 || need+=(munge)
  command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
  [ ${#need[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${need[*]} and no apt-get here; install Slurm and munge by hand"
    return 1
  fi
  local sudo=""
  [ "$(id -u)" != 0 ] && sudo="sudo"
  say "installing ${need[*]} (Debian packages)…"
  $sudo apt-get update -qq
  # policy-rc.d in containers refuses to start services at install; we start our own below.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

write_config() {
  mkdir -p "$DIR"/{munge,spool/ctld,spool/d,log}
  chmod 755 "$DIR" "$DIR/munge"
  if [ ! -f "$DIR/munge/munge.key" ]; then
    # munge wants a private key of at least 32 bytes owned by the user it runs as.
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1 count=1024 status=none
    chmod 400 "$DIR/munge/munge.key"
  fi
  local user
  user="$(id -un)"
  cat >"$CONF" <<EOF
# Written by scripts/slurm-local.sh: a one-node test cluster (this host).
ClusterName=onemark-local
# Addresses given explicitly: a container's host name often does not resolve.
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
# cred_expire: a requeued job waits this long before it may start again (default 120 s).
AuthInfo=socket=$DIR/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=defer_batch=0
ReturnToService=2
SlurmdParameters=config_overrides
# Finished jobs stay visible to squeue/scontrol for 10 minutes (there is no accounting database).
MinJobAge=600
KillWait=30
InactiveLimit=0
MaxArraySize=1001
NodeName=$HOST NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

start() {
  install_missing
  write_config
  if ! pid_alive "$DIR/munged.pid"; then
    munged --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
      --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" \
      --seed-file="$DIR/munge/munge.seed" --force
  fi
  if ! pid_alive "$DIR/slurmctld.pid"; then
    # -c: a fresh state each start (no jobs left over from an earlier test run).
    SLURM_CONF="$CONF" slurmctld -c -f "$CONF"
  fi
  if ! pid_alive "$DIR/slurmd.pid"; then
    SLURM_CONF="$CONF" slurmd -f "$CONF"
  fi
  local i
  for i in $(seq 1 60); do
    if SLURM_CONF="$CONF" sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
      say "one-node cluster up ($HOST, $CPUS CPUs, state in $DIR)"
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.5
  done
  say "the node did not come up; see $DIR/log/slurmctld.log and $DIR/log/slurmd.log:"
  tail -n 5 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 2>/dev/null || true
  return 1
}

stop_one() {
  local name="$1" pidf="$DIR/$1.pid" i
  pid_alive "$pidf" || return 0
  kill "$(cat "$pidf" 2>/dev/null)" 2>/dev/null || true
  for i in $(seq 1 40); do
    pid_alive "$pidf" || return 0
    sleep 0.25
  done
  say "$name did not stop on SIGTERM; sending SIGKILL"
  kill -9 "$(cat "$pidf" 2>/dev/null)" 2>/dev/null || true
}

stop() {
  # Jobs still running would outlive slurmd as orphans; cancel them first.
  if pid_alive "$DIR/slurmctld.pid"; then
    SLURM_CONF="$CONF" scancel --full -u "$(id -un)" 2>/dev/null || true
  fi
  stop_one slurmd
  stop_one slurmctld
  stop_one munged
  say "stopped"
}

status() {
  local d
  for d in munged slurmctld slurmd; do
    if pid_alive "$DIR/$d.pid"; then echo "$d: running (pid $(cat "$DIR/$d.pid"))"; else echo "$d: stopped"; fi
  done
  if pid_alive "$DIR/slurmctld.pid"; then
    SLURM_CONF="$CONF" sinfo -N 2>/dev/null || true
    echo "export SLURM_CONF=$CONF"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: bash scripts/slurm-local.sh start|stop|status" >&2
    exit 2
    ;;
esac
