#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for `make test` / `make bench`.
#   scripts/pg_throwaway.sh start   # (re)creates it; last stdout line = SQLAlchemy URL (also in .pgtest/url)
#   scripts/pg_throwaway.sh stop    # stops it and removes its files; never fails
# Run from the repo root. As root, the server runs as the unprivileged system user `treasurypg`.
# Env: TREASURY_PGTEST_PORT (first port to try, default 54329).
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
BASE="$PWD/.pgtest"            # always holds url, port and rundir (the dir with data/, sock/, server.log)
SYSUSER=treasurypg
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1

say() { echo "pg_throwaway: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Run a PostgreSQL binary as the server's owner, from / so an untraversable cwd does not matter.
as_pg() { if [ "$IS_ROOT" = 1 ]; then (cd / && runuser -u "$SYSUSER" -- "$@"); else "$@"; fi; }

ensure_binaries() {
  [ -x "$PGBIN/initdb" ] && return 0
  [ "$IS_ROOT" = 1 ] || die "$PGBIN/initdb not found; install the Debian package postgresql-15"
  say "installing postgresql-15 with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 && apt-get install -y -q postgresql-15 >&2 || die "apt-get install postgresql-15 failed"
  [ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb still missing after installing postgresql-15"
}

ensure_sysuser() {
  [ "$IS_ROOT" = 1 ] || return 0
  id -u "$SYSUSER" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "$SYSUSER" \
    || die "could not create system user $SYSUSER"
}

port_free() { python3 -c 'import socket,sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }

pick_port() {
  local p=${TREASURY_PGTEST_PORT:-54329} last
  last=$((p + 200))
  for ((; p < last; p++)); do port_free "$p" && { echo "$p"; return 0; }; done
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Make $1 a fresh directory that the server owner can write to.
prepare_dir() {
  rm -rf "$1" && mkdir -p "$1" || return 1
  if [ "$IS_ROOT" = 1 ]; then chown "$SYSUSER:" "$1" && chmod 700 "$1" || return 1; fi
  as_pg test -w "$1" -a -x "$1"
}

do_stop() {
  local run="$BASE"
  [ -f "$BASE/rundir" ] && run=$(cat "$BASE/rundir")
  if [ -f "$run/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$run/data" -m immediate -w stop >/dev/null 2>&1 || say "pg_ctl stop failed (ignored)"
  fi
  [ "$run" != "$BASE" ] && rm -rf "$run"
  rm -rf "$BASE"
  return 0
}

fail_start() {
  say "ERROR: $*"
  local log="$RUN/server.log"
  [ -f "$log" ] || log="$RUN/initdb.log"
  [ -f "$log" ] && { say "--- tail of $log"; tail -n 40 "$log" >&2; }
  do_stop
  exit 1
}

do_start() {
  ensure_binaries
  ensure_sysuser
  do_stop
  local port url
  port=$(pick_port) || die "no free TCP port"
  mkdir -p "$BASE"
  RUN="$BASE"
  # Fall back to /tmp when the server owner cannot reach the repo (e.g. under /root), or when the
  # unix socket path would exceed the ~107-byte limit.
  if [ ${#BASE} -gt 80 ] || ! prepare_dir "$BASE"; then
    RUN="/tmp/treasury-pgtest-$port"
    say "using $RUN ($BASE is unusable by the server owner or too long)"
    prepare_dir "$RUN" || die "cannot prepare $RUN for user $SYSUSER"
  fi
  echo "$RUN" >"$BASE/rundir"
  echo "$port" >"$BASE/port"
  [ "$IS_ROOT" = 1 ] && chmod 755 "$BASE"   # readable by everyone; only the server owner writes RUN

  as_pg "$PGBIN/initdb" -D "$RUN/data" -U postgres -E UTF8 --no-locale --auth=trust --no-sync \
    >"$RUN/initdb.log" 2>&1 || fail_start "initdb failed"
  as_pg mkdir -p "$RUN/sock"
  cat >>"$RUN/data/postgresql.conf" <<CONF
# --- throwaway test settings (scripts/pg_throwaway.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$RUN/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
CONF
  as_pg "$PGBIN/pg_ctl" -D "$RUN/data" -l "$RUN/server.log" -w -t 30 start >/dev/null 2>&1 \
    || fail_start "server did not start"
  local i
  for ((i = 0; i < 30; i++)); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && break; sleep 1; done
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || fail_start "server not accepting connections after 30 s"
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE treasury SUPERUSER LOGIN" -c "CREATE DATABASE treasury_test OWNER treasury" \
    >/dev/null || fail_start "could not create role/database"
  url="postgresql+psycopg://treasury@127.0.0.1:$port/treasury_test"
  echo "$url" >"$BASE/url"
  echo "pg_throwaway: PostgreSQL 15 ready on 127.0.0.1:$port (data in $RUN/data)"
  echo "$url"
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
