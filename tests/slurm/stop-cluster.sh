#!/usr/bin/env bash
# Stop the daemons start-cluster.sh started under STATE_DIR (munged, shared with others, is left running).
set -uo pipefail
state=${1:?usage: stop-cluster.sh STATE_DIR}
state=$(cd "$state" 2>/dev/null && pwd) || exit 0
for name in slurmd slurmctld slurmdbd mariadb; do
    pid="$state/run/$name.pid"
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
done
for _ in $(seq 100); do
    alive=0
    for name in slurmd slurmctld slurmdbd mariadb; do
        pid="$state/run/$name.pid"
        [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.1
done
for link in slurm.conf slurmdbd.conf; do
    case "$(readlink /etc/slurm/$link 2>/dev/null)" in "$state"/*) rm -f "/etc/slurm/$link" ;; esac
done
rm -f "$state/up"
exit 0
