#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for tests and for trying the batch scripts.
#   sudo workflows/slurm/local-cluster.sh install   # Debian's slurm-wlm and munge
#   sudo workflows/slurm/local-cluster.sh start     # munged, slurmctld, slurmd; waits for idle
#   sudo workflows/slurm/local-cluster.sh stop
# Needs root (the daemons run as root here). Configuration goes to /etc/slurm/slurm.conf and is
# rewritten on every start with this machine's real CPU count and memory.
set -euo pipefail
STARTED=/run/gdl-local-cluster.started

install() {
    export DEBIAN_FRONTEND=noninteractive
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        apt-get update -qq
        apt-get install -y -qq slurm-wlm munge >/dev/null
    fi
}

write_config() {
    local host cpus memory
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=${host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=${host} CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
    install
    write_config
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge && chown munge:munge /run/munge
    # Record what this script starts, so that stop ends those daemons and no others.
    if ! pgrep -x munged >/dev/null; then
        su -s /bin/sh munge -c munged && echo /run/munge/munged.pid >> "$STARTED"
    fi
    if ! pgrep -x slurmctld >/dev/null; then
        slurmctld && echo /run/slurmctld.pid >> "$STARTED"
    fi
    if ! pgrep -x slurmd >/dev/null; then
        slurmd && echo /run/slurmd.pid >> "$STARTED"
    fi
    for _ in $(seq 1 60); do
        if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            sinfo
            return 0
        fi
        scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true
        sleep 1
    done
    echo "slurm did not come up; see /var/log/slurm/" >&2
    tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    return 1
}

stop() {
    # Only the daemons start() launched, by the PIDs they recorded.
    [ -f "$STARTED" ] || { echo "nothing started by this script" >&2; return 0; }
    tac "$STARTED" | while read -r pidfile; do
        if [ -s "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
        fi
    done
    rm -f "$STARTED"
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
