#!/usr/bin/env bash
# Purpose: stop a hub started by scripts/hub/start.sh, by pid only: the hub, its proxy, every
# single-user server and kernel it started (also leftovers of a crashed hub). Keeps the state
# (db, peer.env, so start.sh restarts on the same port with the same token) unless --rm.
#
# usage: scripts/hub/stop.sh [STATE_DIR] [--rm]   (STATE_DIR default: $JH_STATE_DIR, else
#        <repo>/.state/hub). Exits 0 when nothing runs (idempotent).
#
# How processes are found, without any broad pkill: the pid files, every descendant of the
# hub, and every process whose environment holds TROOP_HUB_STATE=<this state dir> (start.sh
# and the hub config give that marker to the hub, the proxy, the servers and their kernels).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/procs.sh"
. "$HERE/../lib/state.sh"
parse_stop_args "stop.sh [STATE_DIR] [--rm]" "$@"
STATE="${STATE:-${JH_STATE_DIR:-$HERE/../../.state/hub}}"
log() { echo "[hub-stop] $*" >&2; }
[ -d "$STATE" ] || { log "no state dir $STATE: nothing to stop"; exit 0; }
STATE="$(cd "$STATE" && pwd -P)"
MARK="TROOP_HUB_STATE=$STATE"

HUB_PID="$(cat "$STATE/jupyterhub.pid" 2>/dev/null || true)"
PROXY_PID="$(cat "$STATE/jupyterhub-proxy.pid" 2>/dev/null || true)"
mapfile -t PIDS < <({ [ -n "$HUB_PID" ] && descendants "$HUB_PID"; echo "$PROXY_PID"; marked; } | grep -x '[0-9]\+' | sort -u)

# 1. the hub first: with cleanup_servers/cleanup_proxy it stops its servers and the proxy
CLEAN=0  # 1 when the hub itself stopped its servers (and reaped them)
if [ -n "$HUB_PID" ] && alive "$HUB_PID" && ours "$HUB_PID"; then
  log "SIGTERM hub $HUB_PID"
  kill -TERM "$HUB_PID" 2>/dev/null
  if wait_for alive 30 "$HUB_PID"; then CLEAN=1; else
    log "hub still alive: SIGKILL $HUB_PID"; kill -KILL "$HUB_PID" 2>/dev/null; fi
fi

# 2. leftovers (orphaned kernels, a crashed hub's servers/proxy): SIGTERM, then SIGKILL
mapfile -t LEFT < <({ printf '%s\n' "${PIDS[@]}"; marked; } | grep -x '[0-9]\+' | sort -u |
  while read -r p; do [ "$p" != "$HUB_PID" ] && alive "$p" && ours "$p" && echo "$p"; done)
if [ "${#LEFT[@]}" -gt 0 ]; then
  log "SIGTERM leftovers: ${LEFT[*]}"
  kill -TERM "${LEFT[@]}" 2>/dev/null
  wait_for alive 3 "${LEFT[@]}" || { log "SIGKILL ${LEFT[*]}"; kill -KILL "${LEFT[@]}" 2>/dev/null; }
  # after a crash, orphans are reaped by init, sometimes lazily (~1.5 s in a firecracker VM);
  # a hub restarted while a server pid in its db is a zombie waits http_timeout (60 s) for it
  [ "$CLEAN" = 1 ] || wait_for listed 5 "${LEFT[@]}" || log "not reaped by init yet: ${LEFT[*]}"
fi
rm -f "$STATE/jupyterhub.pid" "$STATE/jupyterhub-proxy.pid"
log "stopped ($STATE)"

# 3. --rm: only a dir that looks like ours (never a random folder passed by mistake)
if [ "$RM" = 1 ]; then remove_state_dir "$STATE" hub peer.env jupyterhub.sqlite || exit 1; fi
