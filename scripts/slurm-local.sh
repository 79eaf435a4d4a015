#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1, for trying crucible's Slurm executor
# and for its tests (docs/slurm.md). Debian 12: apt-get install slurm-wlm munge.
# Runs as root, without systemd; everything but munge's key lives in DIR.
#
#   scripts/slurm-local.sh start [DIR]    start munged (if needed), slurmctld, slurmd;
#                                         prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop [DIR]     stop the daemons started in DIR
#   scripts/slurm-local.sh status [DIR]   sinfo of the cluster in DIR
#
# DIR defaults to /tmp/crucible-slurm. Ports: $SLURM_LOCAL_CTLD_PORT (default
# 6817) and $SLURM_LOCAL_SLURMD_PORT (default 6818); pick others to run two
# clusters side by side. $SLURM_LOCAL_SCHED (default
# "batch_sched_delay=0,sched_min_interval=0": a job starts as soon as it is
# submitted) is SchedulerParameters; set it empty for Slurm's defaults, which
# delay batch jobs by up to 3 s, as on many real clusters. Exit status 3 when Slurm or munge cannot start here
# (the tests then skip), with the reason on stderr.
set -euo pipefail

cmd=${1:-}
dir=${2:-/tmp/crucible-slurm}
ctld_port=${SLURM_LOCAL_CTLD_PORT:-6817}
slurmd_port=${SLURM_LOCAL_SLURMD_PORT:-6818}
sched_params=${SLURM_LOCAL_SCHED-batch_sched_delay=0,sched_min_interval=0}

die_unavailable() { echo "slurm-local: $*" >&2; exit 3; }

stop_pidfile() {
  local f=$1
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

start_munge() {
  command -v munged >/dev/null || die_unavailable "munged not found (apt-get install munge)"
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  [ "$(id -u)" -eq 0 ] || die_unavailable "starting munged needs root"
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    head -c 1024 /dev/urandom > /etc/munge/munge.key
  fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  runuser -u munge -- /usr/sbin/munged || die_unavailable "munged did not start"
  for _ in $(seq 50); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die_unavailable "munge does not answer (munge -n | unmunge fails)"
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) - 1024 ))
  [ "$mem" -gt 512 ] || mem=512
  mkdir -p "$dir/state" "$dir/spool"
  cat > "$dir/slurm.conf" <<CONF
# Written by crucible's scripts/slurm-local.sh: a one-node cluster on 127.0.0.1.
ClusterName=crucible-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
${sched_params:+SchedulerParameters=$sched_params}
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
}

case "$cmd" in
  start)
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null ||
      die_unavailable "slurmctld/slurmd not found (apt-get install slurm-wlm)"
    [ "$(id -u)" -eq 0 ] || die_unavailable "this local cluster runs its daemons as root"
    start_munge
    mkdir -p "$dir"
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    write_conf
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$SLURM_CONF" -i >/dev/null 2>&1 || die_unavailable "slurmctld did not start (see $dir/slurmctld.log)"
    slurmd -f "$SLURM_CONF" >/dev/null 2>&1 || die_unavailable "slurmd did not start (see $dir/slurmd.log)"
    for _ in $(seq 100); do
      state=$(sinfo -h -o %t 2>/dev/null | head -1 || true)
      case "$state" in idle|mix|alloc) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
      sleep 0.1
    done
    die_unavailable "the node did not become idle within 10 s (sinfo: '${state:-no answer}'; see $dir/slurmctld.log)"
    ;;
  stop)
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    ;;
  status)
    SLURM_CONF=$dir/slurm.conf sinfo
    ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
