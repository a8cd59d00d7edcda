#!/usr/bin/env bash
# Purpose: start (or reuse) a real JupyterHub 3.0 from Debian packages on 127.0.0.1 for Troop's
# tests and demos. Idempotent: a running hub in the state dir is reused; a stopped one is
# restarted in place with the SAME public port and SAME admin token (db kept).
#
# usage: scripts/hub/start.sh [PORT]
#   PORT  public port (default: $JH_PORT, else the state dir's previous port, else a free
#         one). The proxy API and the hub's internal port are fresh free ports on each start.
#         Ports it picks, and the labs' ports, lie outside the OS's ephemeral range, and
#         kernels talk to their lab over Unix sockets (scripts/lib/free-ports.mjs and
#         jupyterhub_config.py say why: a busy machine otherwise steals them now and then).
# env (all optional):
#   JH_STATE_DIR    state dir: db, pid files, peer.env, user homes (default <repo>/.state/hub)
#   JH_ADMIN_TOKEN  admin token (default: the one saved in the state dir, else random)
#   JH_CHP          auto|debian|npm  configurable-http-proxy to use (default auto)
#   JH_CHP_DIR      where the npm copy goes (default <repo>/.state/chp)
#   JH_LOG_DIR      where jupyterhub.log goes (default: the state dir)
#   JH_NO_APT=1     never run apt-get; fail if the Debian packages are missing
#   JH_LOG_LEVEL    hub log level (default INFO)
#   JH_KERNEL_TRANSPORT  ipc (default: Unix sockets) or tcp (random ports, as most hubs run)
# stdout: KEY=VALUE lines, also saved in $JH_STATE_DIR/peer.env:
#   JH_URL JH_API JH_ADMIN_TOKEN JH_PID JH_PROXY_PID JH_STATE_DIR JH_LOG
# stop with scripts/hub/stop.sh [STATE_DIR] [--rm]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PKGS=(jupyterhub python3-jupyter-server python3-ipykernel python3-notebook python3-nbclient)
log() { echo "[hub-start] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
ms() { date +%s%3N; }
T0=$(ms)

NODE="$(command -v node)" || die "node is not on PATH"
STATE="${JH_STATE_DIR:-$REPO/.state/hub}"
[ -d "$STATE" ] || mkdir -p -m 700 "$STATE"  # private when new; never chmod an existing dir
STATE="$(cd "$STATE" && pwd -P)"
ENV_FILE="$STATE/peer.env"
# one start at a time per state dir
if command -v flock >/dev/null; then exec 9>"$STATE/.start.lock"; flock 9; fi

# api_ok URL TOKEN: the hub answers GET /hub/api/user with this token (checks proxy + hub + token)
api_ok() {
  if command -v curl >/dev/null; then
    curl -sf -m 5 -o /dev/null -H "Authorization: token $2" "$1/hub/api/user"
  else
    "$NODE" -e 'fetch(process.argv[1]+"/hub/api/user",{headers:{authorization:"token "+process.argv[2]}})
      .then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$1" "$2"
  fi
}

# ---- 1. previous run of this state dir: reuse it if alive, else remember port + token ------
OLD_URL="" OLD_TOKEN=""
if [ -f "$ENV_FILE" ]; then
  while IFS='=' read -r k v; do
    case "$k" in JH_URL) OLD_URL="$v" ;; JH_ADMIN_TOKEN) OLD_TOKEN="$v" ;; esac
  done <"$ENV_FILE"
fi
OLD_PORT="${OLD_URL##*:}"
PORT="${1:-${JH_PORT:-}}"
pid="$(cat "$STATE/jupyterhub.pid" 2>/dev/null || true)"
if [ -n "$pid" ] && [ -n "$OLD_URL" ] && kill -0 "$pid" 2>/dev/null && api_ok "$OLD_URL" "$OLD_TOKEN"; then
  [ -z "$PORT" ] || [ "$PORT" = "$OLD_PORT" ] ||
    die "the hub in $STATE already runs on port $OLD_PORT, not $PORT; stop it first"
  log "reusing the running hub in $STATE ($(($(ms) - T0)) ms)"
  cat "$ENV_FILE"
  exit 0
fi
if [ -n "$pid" ] || [ -f "$STATE/jupyterhub-proxy.pid" ]; then
  log "stale hub state in $STATE: cleaning up leftovers"
  "$HERE/stop.sh" "$STATE" >&2 || true
fi
[ -n "$PORT" ] || PORT="$OLD_PORT"
[ -z "$OLD_PORT" ] || [ "$PORT" = "$OLD_PORT" ] || log "note: port changes from $OLD_PORT to $PORT"
TOKEN="${JH_ADMIN_TOKEN:-$OLD_TOKEN}"
[ -n "$TOKEN" ] || TOKEN="$("$NODE" -p 'require("crypto").randomBytes(24).toString("hex")')"

# ---- 2. Debian packages (fast path: dpkg-query only) ---------------------------------------
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${PKGS[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
elif [ ! -x /usr/bin/jupyterhub ]; then
  die "no dpkg-query and no /usr/bin/jupyterhub: this needs Debian 12 (bookworm) packages"
fi
if [ "${#missing[@]}" -gt 0 ]; then
  [ "${JH_NO_APT:-0}" != 1 ] || die "missing Debian packages: ${missing[*]} (JH_NO_APT=1)"
  command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get"
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
  log "installing ${missing[*]} with apt-get (about 30 s)"
  # sudo drops DEBIAN_FRONTEND from the environment, so pass it through env
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >&2
fi

case "${JH_KERNEL_TRANSPORT:-ipc}" in ipc | tcp) ;; *) die "JH_KERNEL_TRANSPORT must be ipc or tcp, not $JH_KERNEL_TRANSPORT" ;; esac

# ---- 3. configurable-http-proxy ------------------------------------------------------------
# Debian's keeps its deps in /usr/share/nodejs, which a nodesource/nvm node does not search.
CHP_MODE="${JH_CHP:-auto}"
CHP_DIR="${JH_CHP_DIR:-$REPO/.state/chp}"
CHP_JS="$CHP_DIR/node_modules/configurable-http-proxy/bin/configurable-http-proxy"
if [ "$CHP_MODE" != npm ] && [ -x /usr/bin/configurable-http-proxy ] &&
  env -i PATH="$SYS_PATH" NODE_PATH=/usr/share/nodejs /usr/bin/configurable-http-proxy --version >/dev/null 2>&1; then
  CHP_CMD='["/usr/bin/env", "NODE_PATH=/usr/share/nodejs", "/usr/bin/configurable-http-proxy"]'
elif [ "$CHP_MODE" != debian ]; then
  if [ ! -f "$CHP_JS" ]; then
    log "npm install configurable-http-proxy@4 into $CHP_DIR"
    mkdir -p "$CHP_DIR"
    # own package.json + --prefix: otherwise npm would install into the repo's package.json
    [ -f "$CHP_DIR/package.json" ] || echo '{"name":"troop-chp","private":true}' >"$CHP_DIR/package.json"
    npm install --prefix "$CHP_DIR" --no-audit --no-fund --silent configurable-http-proxy@4 >&2
  fi
  # absolute node: the hub runs with a clean PATH that may not hold an nvm node
  CHP_CMD="[\"$NODE\", \"$CHP_JS\"]"
else
  die "Debian's configurable-http-proxy does not run (JH_CHP=debian)"
fi

# ---- 4. ports: the public one must be free; two fresh internal ones -------------------------
read -r PORT PROXY_API_PORT HUB_PORT < <("$NODE" "$HERE/../lib/free-ports.mjs" "${PORT:-0}" 0 0) ||
  die "could not pick free ports"
[ "$PORT" != busy ] || die "port ${1:-${JH_PORT:-$OLD_PORT}} on 127.0.0.1 is in use by another process"

# ---- 5. launch: own session, empty environment except what the hub needs --------------------
LOG_DIR="${JH_LOG_DIR:-$STATE}"
mkdir -p "$LOG_DIR" "$STATE/users"
LOG="$(cd "$LOG_DIR" && pwd -P)/jupyterhub.log"
echo "==== $(date -Is) start.sh: port $PORT, state $STATE" >>"$LOG"
(
  cd "$STATE"
  exec env -i PATH="$SYS_PATH" HOME="${HOME:-$STATE}" LANG="${LANG:-C.UTF-8}" \
    JH_STATE_DIR="$STATE" TROOP_HUB_STATE="$STATE" JH_PORT="$PORT" \
    JH_PROXY_API_PORT="$PROXY_API_PORT" JH_HUB_PORT="$HUB_PORT" JH_ADMIN_TOKEN="$TOKEN" \
    JH_CHP_CMD="$CHP_CMD" JH_LOG_LEVEL="${JH_LOG_LEVEL:-INFO}" \
    JH_KERNEL_TRANSPORT="${JH_KERNEL_TRANSPORT:-ipc}" \
    setsid /usr/bin/python3 /usr/bin/jupyterhub -f "$HERE/jupyterhub_config.py" \
    </dev/null >>"$LOG" 2>&1 9>&-  # 9>&-: the hub must not keep the start lock
) &
LAUNCH_PID=$!
URL="http://127.0.0.1:$PORT"

# ---- 6. wait until proxy + hub answer with the admin token (60 s; fail fast if it dies) -------
if ! "$NODE" -e '
  const [url, token, pid] = process.argv.slice(1);
  const fs = require("fs");
  const alive = () => { try { return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1][0] !== "Z"; } catch { return false; } };
  const end = Date.now() + 60000;
  (async function poll() {
    const ok = await fetch(url + "/hub/api/user", { headers: { authorization: "token " + token } })
      .then((r) => r.ok, () => false);
    if (ok) process.exit(0);
    if (!alive() || Date.now() > end) process.exit(1);
    setTimeout(poll, 100);
  })();' "$URL" "$TOKEN" "$LAUNCH_PID"; then
  log "hub did not come up; last lines of $LOG:"; tail -25 "$LOG" >&2
  kill -0 "$LAUNCH_PID" 2>/dev/null && "$HERE/stop.sh" "$STATE" >&2
  exit 1
fi
HUB_PID="$(cat "$STATE/jupyterhub.pid" 2>/dev/null || echo "$LAUNCH_PID")"
PROXY_PID="$(cat "$STATE/jupyterhub-proxy.pid" 2>/dev/null || true)"

# ---- 7. report ------------------------------------------------------------------------------
umask 077
cat >"$ENV_FILE.tmp" <<EOF
JH_URL=$URL
JH_API=$URL/hub/api
JH_ADMIN_TOKEN=$TOKEN
JH_PID=$HUB_PID
JH_PROXY_PID=$PROXY_PID
JH_STATE_DIR=$STATE
JH_LOG=$LOG
EOF
mv -f "$ENV_FILE.tmp" "$ENV_FILE"
log "hub ready at $URL in $(($(ms) - T0)) ms"
cat "$ENV_FILE"
