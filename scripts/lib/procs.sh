# Purpose: process helpers shared by scripts/hub/stop.sh and scripts/tap/stop.sh. Sourced, not
# run. The caller sets MARK="<VAR>=<state dir>", the environment marker its start.sh gives to
# every process it starts; these helpers never touch a process without that marker.

alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
listed() { [ -e "/proc/$1" ]; }  # alive or a zombie not yet reaped
ours() { grep -qzxF "$MARK" "/proc/$1/environ" 2>/dev/null; }  # guards against reused pids
marked() { grep -lzxF "$MARK" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | grep -vx "$$"; }
descendants() {
  local k
  for k in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$k"; descendants "$k"; done
}
# wait_for TEST SECONDS PID...: poll every 0.1 s until TEST fails for every pid; 1 on timeout
wait_for() {
  local test=$1 n=$(($2 * 10)) p any; shift 2
  while :; do
    any=0; for p in "$@"; do "$test" "$p" && { any=1; break; }; done
    [ "$any" = 0 ] && return 0
    [ "$n" -gt 0 ] || return 1
    sleep 0.1; n=$((n - 1))
  done
}
# parse_stop_args USAGE ARGS...: sets STATE (positional) and RM (1 with --rm); exit 2 otherwise
parse_stop_args() {
  local usage=$1 a; shift
  STATE="" RM=0
  for a in "$@"; do
    case "$a" in --rm) RM=1 ;; -*) echo "usage: $usage" >&2; exit 2 ;; *) STATE="$a" ;; esac
  done
}
