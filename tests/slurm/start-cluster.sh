#!/usr/bin/env bash
# Start a one-node SLURM cluster with job accounting on this machine, for the tests:
# munged, a private MariaDB, slurmdbd, slurmctld and slurmd, all under STATE_DIR.
# Installs Debian's slurm-wlm, slurmdbd, munge and mariadb-server when missing (needs root, as in CI).
# Idempotent: a second call with the same STATE_DIR finds the cluster up and does nothing.
# Usage: tests/slurm/start-cluster.sh STATE_DIR   (prints the slurm.conf path; stop-cluster.sh stops it all)
set -euo pipefail
state=${1:?usage: start-cluster.sh STATE_DIR}
mkdir -p "$state"
state=$(cd "$state" && pwd)
export SLURM_CONF="$state/slurm.conf"

if [ -f "$state/up" ] && scontrol ping 2>/dev/null | grep -q UP; then
    echo "$SLURM_CONF"
    exit 0
fi

need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v slurmdbd >/dev/null || need+=(slurmdbd)
command -v munged >/dev/null || need+=(munge)
command -v mariadbd >/dev/null || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" >/dev/null
fi

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
mkdir -p "$state"/{spool,ctld,log,run,mysql}

# --- munge: the key comes with the package; the daemon runs as the munge user, as Debian does.
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null || true
[ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    su -s /bin/bash munge -c "/usr/sbin/munged --force"
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi

# --- a private MariaDB on 127.0.0.1:$dbport, data under STATE_DIR, for slurmdbd's accounting (what sacct reads).
dbport=6920
sock="$state/run/mysql.sock"
sql() { mariadb --no-defaults -S "$sock" -u root -e "$1"; }
if [ ! -d "$state/mysql/mysql" ]; then
    mariadb-install-db --no-defaults --user=root --datadir="$state/mysql" --auth-root-authentication-method=socket \
        > "$state/log/mariadb-install.log" 2>&1
fi
if ! sql "select 1" >/dev/null 2>&1; then
    # setsid and no inherited output: the server must not hold the caller's pipes open
    setsid mariadbd --no-defaults --user=root --datadir="$state/mysql" --socket="$sock" --port=$dbport \
        --bind-address=127.0.0.1 --pid-file="$state/run/mariadb.pid" --log-error="$state/log/mariadb.log" \
        --innodb-buffer-pool-size=64M </dev/null >/dev/null 2>&1 &
    for _ in $(seq 150); do sql "select 1" >/dev/null 2>&1 && break; sleep 0.2; done
fi
sql "create database if not exists slurm_acct_db;
     create user if not exists 'slurm'@'127.0.0.1' identified by 'rhythm-test';
     grant all on slurm_acct_db.* to 'slurm'@'127.0.0.1';"

# --- slurmdbd, then slurmctld and slurmd.
cat > "$state/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6919
SlurmUser=root
PidFile=$state/run/slurmdbd.pid
LogFile=$state/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$dbport
StorageUser=slurm
StoragePass=rhythm-test
StorageLoc=slurm_acct_db
CONF
chmod 600 "$state/slurmdbd.conf"

cat > "$SLURM_CONF" <<CONF
ClusterName=rhythm-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6919
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
ReturnToService=2
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmdSpoolDir=$state/spool
StateSaveLocation=$state/ctld
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# Job steps (srun inside a batch job) and slurmdbd read /etc/slurm: point it at this cluster,
# unless a real cluster's configuration is already there.
if [ ! -e /etc/slurm/slurm.conf ] || [ -L /etc/slurm/slurm.conf ]; then
    mkdir -p /etc/slurm
    ln -sfn "$SLURM_CONF" /etc/slurm/slurm.conf
    ln -sfn "$state/slurmdbd.conf" /etc/slurm/slurmdbd.conf
fi

if ! sacctmgr -n show cluster 2>/dev/null | grep -q rhythm-test; then
    slurmdbd </dev/null >/dev/null 2>&1
    for _ in $(seq 100); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.2; done
    sacctmgr -i add cluster rhythm-test >/dev/null 2>&1 || true
fi
if ! scontrol ping 2>/dev/null | grep -q UP; then
    slurmctld -f "$SLURM_CONF" </dev/null >/dev/null 2>&1
    slurmd -f "$SLURM_CONF" </dev/null >/dev/null 2>&1
fi
for _ in $(seq 150); do
    sinfo -h -o %T 2>/dev/null | grep -qE "^idle" && break
    sleep 0.2
done
sinfo -h -o %T | grep -qE "^idle" || { echo "slurm did not come up; see $state/log" >&2; exit 1; }
touch "$state/up"
echo "$SLURM_CONF"
