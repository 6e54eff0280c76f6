# Throwaway PostgreSQL 15 clusters for tests and demos. Source this file.
#
# PostgreSQL refuses to run as root, and CI is root: as root the cluster is
# created and run by the postgres user (like pg_virtualenv does), otherwise
# by the caller. Each cluster listens only on a Unix socket in its own
# directory plus a free loopback port, so several can run side by side.

PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir)}

# Runs a command as the cluster owner.
pgc_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Prints a free TCP port on 127.0.0.1.
pgc_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pgc_start DIR [postgresql.conf line ...]
# Creates and starts a cluster under DIR (made if missing) and exports
# PGHOST, PGPORT, PGUSER and PGDATABASE for it. Extra arguments are appended
# to postgresql.conf, e.g. "shared_preload_libraries = 'exp_assign'".
pgc_start() {
	local dir=$1
	shift
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	local port
	port=$(pgc_free_port)
	pgc_as_owner "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	{
		echo "port = $port"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		echo "max_connections = 50"
		echo "log_min_messages = warning"
		local line
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
	pgc_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log"; return 1; }
	export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

# pgc_stop DIR [mode]: stops the cluster (fast by default).
pgc_stop() {
	pgc_as_owner "$PG_BINDIR/pg_ctl" -D "$1/data" -m "${2:-fast}" -w stop >/dev/null 2>&1 || true
}

# pgc_destroy DIR: stops the cluster and removes DIR.
pgc_destroy() {
	pgc_stop "$1" immediate
	rm -rf "$1"
}
