#!/usr/bin/env bash
# Purpose: stop a server started by scripts/tap/start.sh, by pid only: DaCHS, its async TAP
# runners ("gavo taprun") and the private PostgreSQL cluster. Keeps the state (data, ports,
# peer.env: start.sh restarts in place) unless --rm, which removes only a dir start.sh made
# (empty, or holding peer.env, ports, pg/PG_VERSION or .start.lock); another exits 1.
#
# usage: scripts/tap/stop.sh [STATE_DIR] [--rm]   (STATE_DIR default: $TAP_STATE_DIR, else
#        <repo>/.state/tap). Exits 0 when nothing runs (idempotent).
#
# Processes are found without any broad pkill: DaCHS's pid from peer.env and its descendants,
# the postmaster's pid from the data dir, and every process whose environment holds
# TROOP_TAP_STATE=<this state dir> (start.sh gives that marker to DaCHS and PostgreSQL).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/procs.sh"
. "$HERE/../lib/state.sh"
parse_stop_args "stop.sh [STATE_DIR] [--rm]" "$@"
STATE="${STATE:-${TAP_STATE_DIR:-$HERE/../../.state/tap}}"
log() { echo "[tap-stop] $*" >&2; }
[ -d "$STATE" ] || { log "no state dir $STATE: nothing to stop"; exit 0; }
STATE="$(cd "$STATE" && pwd -P)"
MARK="TROOP_TAP_STATE=$STATE"

TAP_PID="$(sed -n 's/^TAP_PID=//p' "$STATE/peer.env" 2>/dev/null)"
PG_PID="$(head -1 "$STATE/pg/postmaster.pid" 2>/dev/null)"

# 1. DaCHS and its runners (their children) first, so no query is left half-way
if [ -n "$TAP_PID" ] && alive "$TAP_PID" && ours "$TAP_PID"; then
  mapfile -t KIDS < <(descendants "$TAP_PID")
  log "SIGTERM dachs $TAP_PID"
  kill -TERM "$TAP_PID" 2>/dev/null
  wait_for alive 10 "$TAP_PID" || { log "SIGKILL dachs $TAP_PID"; kill -KILL "$TAP_PID" 2>/dev/null; }
  for p in "${KIDS[@]}"; do alive "$p" && ours "$p" && kill -TERM "$p" 2>/dev/null; done
fi

# 2. PostgreSQL: fast shutdown of the postmaster (SIGINT), SIGQUIT if it lingers
if [ -n "$PG_PID" ] && alive "$PG_PID" && ours "$PG_PID"; then
  log "SIGINT (fast shutdown) postgres $PG_PID"
  kill -INT "$PG_PID" 2>/dev/null
  wait_for alive 10 "$PG_PID" || { log "SIGQUIT postgres $PG_PID"; kill -QUIT "$PG_PID" 2>/dev/null; wait_for alive 5 "$PG_PID"; }
fi

# 3. leftovers carrying our marker (runners of a crashed DaCHS, a postmaster without pid file)
mapfile -t LEFT < <(marked | while read -r p; do alive "$p" && echo "$p"; done)
if [ "${#LEFT[@]}" -gt 0 ]; then
  log "SIGTERM leftovers: ${LEFT[*]}"
  kill -TERM "${LEFT[@]}" 2>/dev/null
  wait_for alive 5 "${LEFT[@]}" || { log "SIGKILL ${LEFT[*]}"; kill -KILL "${LEFT[@]}" 2>/dev/null; }
fi
log "stopped ($STATE)"

# 4. --rm: only a dir that looks like ours (never a random folder passed by mistake)
if [ "$RM" = 1 ]; then remove_state_dir "$STATE" tap peer.env ports pg/PG_VERSION .start.lock || exit 1; fi
exit 0
