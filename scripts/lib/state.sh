# Purpose: the --rm guard shared by scripts/hub/stop.sh and scripts/tap/stop.sh. Sourced, not
# run; the caller defines log() (a line on stderr). A state dir is removed only when it looks
# like one its start.sh made, so a folder passed by mistake (or a wrong $JH_STATE_DIR or
# $TAP_STATE_DIR) is never deleted.

# remove_state_dir DIR WHAT MARKER...: rm -rf DIR (a resolved path) when it is empty or holds
# at least one MARKER (a path relative to DIR that its start.sh creates). Otherwise leave it,
# log why ("it holds no WHAT state") and return 1. Never removes "/".
remove_state_dir() {
  local dir=$1 what=$2 m ours=0; shift 2
  if [ "$dir" != / ] && [ -d "$dir" ]; then
    [ -z "$(ls -A "$dir")" ] && ours=1
    for m in "$@"; do [ -e "$dir/$m" ] && ours=1; done
  fi
  if [ "$ours" = 0 ]; then
    log "not removing $dir: it holds no $what state (none of: $*)"
    return 1
  fi
  rm -rf "$dir" && log "removed $dir"
}
