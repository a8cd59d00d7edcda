#!/usr/bin/env bash
# Purpose: start (or reuse) a real IVOA TAP + SIAv2 server on 127.0.0.1 for Troop's tests and
# demos: GAVO DaCHS 2.7 from Debian bookworm on a private PostgreSQL 15 cluster (own data dir,
# port and socket dir; the system cluster and /var/gavo are never touched), with Troop's test
# data (scripts/tap/troop/q.rd: table troop.objects, 12 images published to ObsCore) loaded.
# Idempotent: a running server in the state dir is reused; a stopped one is restarted in
# place with the SAME ports and data.
#
# usage: scripts/tap/start.sh [PORT]
#   PORT  DaCHS port (default: $TAP_PORT, else the state dir's previous port, else a free one)
# env (all optional):
#   TAP_STATE_DIR  state dir: PostgreSQL data, DaCHS root, logs, peer.env (default <repo>/.state/tap)
#   TAP_LOG_DIR    where dachs.log and postgresql.log go (default: the state dir)
#   TAP_NO_APT=1   never run apt-get; fail if the Debian packages are missing
# stdout: KEY=VALUE lines, also saved in $TAP_STATE_DIR/peer.env:
#   TAP_URL (…/tap) SIA_URL (SIAv2 query endpoint) TAP_BASE TAP_PID PG_PID PG_PORT TAP_STATE_DIR TAP_LOG
# stop with scripts/tap/stop.sh [STATE_DIR] [--rm]
#
# Debian notes: do NOT install gavodachs2-server (its postinst needs a running system cluster
# on 5432 and leaves dpkg half-configured); python3-gavo + the two extensions is all it takes.
# pgsphere 1.1.1 (bookworm) declares two DaCHS compatibility operators `@ (bigint|spoint, smoc)`
# that PostgreSQL >= 15.10 refuses ("commutator operator @> is already the commutator of
# operator <@"), so CREATE EXTENSION fails. Upstream dropped them (pgsphere PR #92). When the
# installed script still has them, the server runs from a private "shadow" install in the
# state dir: a copy of the postgres binary (PostgreSQL finds its share dir relative to its
# executable), symlinks to everything else and the extension script without those operators.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PKGS=(python3-gavo postgresql-15 postgresql-15-pgsphere postgresql-15-q3c)
PGVER=15
PGBIN=/usr/lib/postgresql/$PGVER/bin
PGSHARE=/usr/share/postgresql/$PGVER
log() { echo "[tap-start] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
ms() { date +%s%3N; }
T0=$(ms)

NODE="$(command -v node)" || die "node is not on PATH"
STATE="${TAP_STATE_DIR:-$REPO/.state/tap}"
[ -d "$STATE" ] || mkdir -p -m 700 "$STATE"
STATE="$(cd "$STATE" && pwd -P)"
ENV_FILE="$STATE/peer.env"
if command -v flock >/dev/null; then exec 9>"$STATE/.start.lock"; flock 9; fi
MARK="TROOP_TAP_STATE=$STATE"   # inherited by every process of this server (stop.sh finds them)

up() { curl -sf -m 5 -o /dev/null "$1/tap/availability"; }

# ---- 1. a running server in this state dir: reuse it -----------------------------------------
if [ -f "$ENV_FILE" ]; then
  OLD_PID="$(sed -n 's/^TAP_PID=//p' "$ENV_FILE")"
  OLD_BASE="$(sed -n 's/^TAP_BASE=//p' "$ENV_FILE")"
  if [ -n "$OLD_PID" ] && kill -0 "$OLD_PID" 2>/dev/null && up "$OLD_BASE"; then
    log "reusing the running server in $STATE ($(($(ms) - T0)) ms)"
    cat "$ENV_FILE"
    exit 0
  fi
fi

# ---- 2. Debian packages (fast path: dpkg-query only) ----------------------------------------
missing=()
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "${TAP_NO_APT:-0}" != 1 ] || die "missing Debian packages: ${missing[*]} (TAP_NO_APT=1)"
  command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get"
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
  log "installing ${missing[*]} with apt-get (about 40 s)"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >&2
fi
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import astropy' 2>/dev/null ||
  die "/usr/bin/python3 cannot import astropy (python3-astropy comes with python3-gavo)"

# ---- 3. who runs it: PostgreSQL refuses to run as root --------------------------------------
if [ "$(id -u)" = 0 ]; then
  RUN_USER=postgres
  AS=(setpriv --reuid=postgres --regid=postgres --init-groups)
else
  RUN_USER="$(id -un)"
  AS=()
fi
RUN_GROUP="$(id -gn "$RUN_USER")"
LOG_DIR="${TAP_LOG_DIR:-$STATE}"
mkdir -p "$LOG_DIR" "$STATE/pgsock"
LOG_DIR="$(cd "$LOG_DIR" && pwd -P)"
[ "$(id -u)" = 0 ] && chown "$RUN_USER:$RUN_GROUP" "$STATE" "$STATE/pgsock" "$LOG_DIR"

# ---- 4. ports: fixed at the first start, kept in $STATE/ports -------------------------------
free_ports() { "$NODE" "$HERE/../lib/free-ports.mjs" "$@"; }
if [ -f "$STATE/ports" ]; then
  # shellcheck disable=SC1091
  . "$STATE/ports"
  [ -z "${1:-${TAP_PORT:-}}" ] || [ "${1:-${TAP_PORT:-}}" = "$DPORT" ] ||
    die "the server in $STATE uses port $DPORT, not ${1:-$TAP_PORT}; remove the state dir to change it"
else
  read -r DPORT PG_PORT < <(free_ports "${1:-${TAP_PORT:-0}}" 0)
  [ "$DPORT" != busy ] || die "port ${1:-$TAP_PORT} on 127.0.0.1 is in use"
  printf 'PG_PORT=%s\nDPORT=%s\n' "$PG_PORT" "$DPORT" >"$STATE/ports"
fi
BASE="http://127.0.0.1:$DPORT"

# ---- 5. the postgres executable (shadow install when pgsphere needs the fix, see above) -----
POSTGRES="$PGBIN/postgres"
SPHERE_SQL="$(ls "$PGSHARE"/extension/pg_sphere--*.sql 2>/dev/null | grep -E 'pg_sphere--[0-9.]+\.sql$' | sort -V | tail -1)"
if [ -n "$SPHERE_SQL" ] && grep -q 'backwards-compatible operators for GAVO DaCHS' "$SPHERE_SQL"; then
  SH="$STATE/pgshadow"
  if [ ! -x "$SH$PGBIN/postgres" ] || ! cmp -s "$PGBIN/postgres" "$SH$PGBIN/postgres"; then
    rm -rf "$SH"
    mkdir -p "$SH$PGBIN" "$SH$PGSHARE/extension"
    cp "$PGBIN/postgres" "$SH$PGBIN/postgres"
    ln -s "/usr/lib/postgresql/$PGVER/lib" "$SH/usr/lib/postgresql/$PGVER/lib"
    for e in "$PGSHARE"/*; do [ "${e##*/}" = extension ] || ln -s "$e" "$SH$PGSHARE/"; done
    for e in "$PGSHARE"/extension/*; do ln -s "$e" "$SH$PGSHARE/extension/"; done
    rm "$SH$PGSHARE/extension/${SPHERE_SQL##*/}"
    awk '/backwards-compatible operators for GAVO DaCHS/ { skip = 1 } /^-- debugging/ { skip = 0 } !skip' \
      "$SPHERE_SQL" >"$SH$PGSHARE/extension/${SPHERE_SQL##*/}"
    log "pgsphere's DaCHS compatibility operators removed in a private shadow install ($SH)"
  fi
  POSTGRES="$SH$PGBIN/postgres"
fi

# ---- 6. private PostgreSQL cluster ----------------------------------------------------------
if [ ! -f "$STATE/pg/PG_VERSION" ]; then
  "${AS[@]}" "$PGBIN/initdb" -D "$STATE/pg" -A trust -E UTF8 --locale=C.UTF-8 -U postgres \
    >"$LOG_DIR/initdb.log" 2>&1 || { tail -20 "$LOG_DIR/initdb.log" >&2; die "initdb failed"; }
fi
PGOPTS="-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$STATE/pgsock"
# an aborted TAP job must not leave its query running: check the client every second
PGOPTS="$PGOPTS -c client_connection_check_interval=1000"
if ! "${AS[@]}" "$PGBIN/pg_ctl" -D "$STATE/pg" status >/dev/null 2>&1; then
  # 9>&-: the postmaster must not keep the start lock
  env "$MARK" "${AS[@]}" "$PGBIN/pg_ctl" -D "$STATE/pg" -p "$POSTGRES" -l "$LOG_DIR/postgresql.log" \
    -w -t 60 -o "$PGOPTS" start >&2 9>&- || { tail -20 "$LOG_DIR/postgresql.log" >&2; die "postgres did not start"; }
fi
PG_PID="$(head -1 "$STATE/pg/postmaster.pid")"
PSQL=("${AS[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atq)
if ! "${PSQL[@]}" -c "select 1 from pg_database where datname='gavo'" postgres | grep -q 1; then
  "${AS[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres --encoding=UTF-8 --template template0 gavo
fi

# ---- 7. DaCHS config, init (once) and Troop's data (again whenever q.rd changes) -------------
cat >"$STATE/gavo.rc" <<EOF
[general]
rootDir: $STATE/gavo
group: $RUN_GROUP
logLevel: info

[web]
bindAddress: 127.0.0.1
serverPort: $DPORT
serverURL: $BASE
sitename: Troop local TAP
sqlTimeout: 60

[async]
maxTAPRunning: 4
EOF
[ "$(id -u)" = 0 ] && chown "$RUN_USER:$RUN_GROUP" "$STATE/gavo.rc"
DACHS=("${AS[@]}" env -u PYTHONPATH -u PYTHONHOME PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$STATE"
       GAVOSETTINGS="$STATE/gavo.rc" GAVOCUSTOM="$STATE/no-gavo-custom" "$MARK" /usr/bin/dachs)
if [ ! -f "$STATE/gavo/etc/dsn" ]; then
  (cd "$STATE" && "${DACHS[@]}" init -d "host=127.0.0.1 port=$PG_PORT user=postgres dbname=gavo" \
    >"$LOG_DIR/dachs-init.log" 2>&1) || { tail -20 "$LOG_DIR/dachs-init.log" >&2; die "dachs init failed"; }
  (cd "$STATE" && "${DACHS[@]}" imp //obscore >>"$LOG_DIR/dachs-init.log" 2>&1) ||
    { tail -20 "$LOG_DIR/dachs-init.log" >&2; die "dachs imp //obscore failed"; }
fi
RD_DIR="$STATE/gavo/inputs/troop"
STAMP="$(cat "$HERE/troop/q.rd" "$HERE/make-images.py" | sha256sum | cut -c1-16)"
if [ "$(cat "$RD_DIR/.imported" 2>/dev/null)" != "$STAMP" ]; then
  mkdir -p "$RD_DIR"
  cp "$HERE/troop/q.rd" "$RD_DIR/q.rd"
  /usr/bin/python3 "$HERE/make-images.py" "$RD_DIR/images" >/dev/null
  [ "$(id -u)" = 0 ] && chown -R "$RUN_USER:$RUN_GROUP" "$RD_DIR"
  (cd "$STATE" && "${DACHS[@]}" imp troop/q >"$LOG_DIR/dachs-imp.log" 2>&1) ||
    { tail -20 "$LOG_DIR/dachs-imp.log" >&2; die "dachs imp troop/q failed"; }
  echo "$STAMP" >"$RD_DIR/.imported"
fi

# ---- 8. DaCHS server: foreground process in its own session; we keep its pid ---------------
# 9>&-: the server must not keep the start lock
(cd "$STATE" && exec setsid "${DACHS[@]}" serve start -f </dev/null >>"$LOG_DIR/dachs.log" 2>&1 9>&-) &
TAP_PID=$!
for _ in $(seq 1 300); do
  up "$BASE" && break
  kill -0 "$TAP_PID" 2>/dev/null || { tail -30 "$LOG_DIR/dachs.log" >&2; die "dachs exited"; }
  sleep 0.2
done
up "$BASE" || { "$HERE/stop.sh" "$STATE" >&2; die "dachs not ready after 60 s"; }

umask 077
cat >"$ENV_FILE.tmp" <<EOF
TAP_URL=$BASE/tap
SIA_URL=$BASE/__system__/siap2/sitewide/siap2.xml
TAP_BASE=$BASE
TAP_PID=$TAP_PID
PG_PID=$PG_PID
PG_PORT=$PG_PORT
TAP_STATE_DIR=$STATE
TAP_LOG=$LOG_DIR/dachs.log
EOF
mv -f "$ENV_FILE.tmp" "$ENV_FILE"
log "TAP ready at $BASE/tap in $(($(ms) - T0)) ms"
cat "$ENV_FILE"
