#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the tests: Debian's server (installed when
# missing), a cluster made by initdb in a temporary folder, on a free port, trusted for local
# connections only, except the role `password_test` (password `right-password`), which must
# give its password: the tests of a wrong password need one that is checked. initdb and postgres
# refuse to run as root, so as root they run as the `postgres` user.
#
#   scripts/postgres.sh start   prints `export TIKTOK_OFFLINE_TEST_POSTGRES=postgres://…` and the folder
#   scripts/postgres.sh restart DIR   (a fast restart: connections are cut; for the outage tests)
#   scripts/postgres.sh stop DIR
set -euo pipefail
command_name=${1:-}

bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The server outlives this script: it must not inherit the caller's descriptors beyond
# stdin/stdout/stderr, or a caller that waits for them to close (Foundation's Process does)
# waits for the server.
close_inherited_descriptors() {
  local fd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

case "$command_name" in
  start)
    if [ -z "$(bin_dir)" ]; then
      echo "Installing PostgreSQL (Debian's postgresql)…" >&2
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(bin_dir)
    close_inherited_descriptors
    dir=$(mktemp -d /tmp/tiktok-offline-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    hba="$dir/data/pg_hba.conf"
    { echo "host all password_test 127.0.0.1/32 scram-sha-256"; cat "$hba"; } > "$hba.new" && mv "$hba.new" "$hba"
    [ "$(id -u)" = 0 ] && chown postgres "$hba"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    "$bin/psql" -q "postgres://postgres@127.0.0.1:$port/postgres" \
      -c "CREATE ROLE password_test LOGIN SUPERUSER PASSWORD 'right-password'" >&2
    echo "export TIKTOK_OFFLINE_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export TIKTOK_OFFLINE_TEST_POSTGRES_DIR=$dir"
    ;;
  restart)
    dir=${2:?usage: scripts/postgres.sh restart DIR}
    close_inherited_descriptors
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >&2
    ;;
  stop)
    dir=${2:?usage: scripts/postgres.sh stop DIR}
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/postgres.sh start | restart DIR | stop DIR" >&2
    exit 2
    ;;
esac
