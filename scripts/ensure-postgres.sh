#!/usr/bin/env bash
# Makes a local PostgreSQL answer on 127.0.0.1 with trust auth for user
# "postgres", as the store's tests and a development server expect.
# Idempotent: when the server already answers it does nothing.
#
# RUNBLOCK_PG_PORT and RUNBLOCK_PG_CLUSTER (default 5432 and "main") exist so
# the script itself can be exercised on a spare cluster without touching the
# one in use.
set -euo pipefail

port="${RUNBLOCK_PG_PORT:-5432}"
cluster="${RUNBLOCK_PG_CLUSTER:-main}"
did=()

ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$port"; }

if ready; then
	echo "ensure-postgres: already accepting connections on 127.0.0.1:$port"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "ensure-postgres: PostgreSQL is not answering on 127.0.0.1:$port and fixing that needs root" >&2
	exit 1
fi

if ! command -v pg_ctlcluster >/dev/null || ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
	apt-get update -qq
	# The package's own post-install may try to start a cluster through
	# init scripts that containers lack; policy-rc.d failures are harmless
	# here because the cluster is started explicitly below.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	did+=("installed postgresql")
fi

# Prefer an existing cluster of that name (whatever its version); otherwise
# create one with the newest installed server.
version=""
for conf in /etc/postgresql/*/"$cluster"; do
	[ -d "$conf" ] && version="$(basename "$(dirname "$conf")")"
done
if [ -z "$version" ]; then
	version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
	pg_createcluster --port "$port" "$version" "$cluster" >/dev/null
	did+=("created cluster $version/$cluster")
fi

if ! pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1; then
	pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
	did+=("started $version/$cluster")
fi

for _ in $(seq 1 40); do
	ready && break
	sleep 0.5
done
if ! ready; then
	echo "ensure-postgres: cluster $version/$cluster is not accepting connections on 127.0.0.1:$port after 20 s" >&2
	exit 1
fi

# pg_hba.conf is first-match, so a trust rule put on top wins over Debian's
# default scram-sha-256 rule for 127.0.0.1 without touching other entries.
if ! psql -h 127.0.0.1 -p "$port" -U postgres -w -Atqc 'SELECT 1' >/dev/null 2>&1; then
	hba="$(su postgres -s /bin/sh -c "psql -p $port -Atqc 'SHOW hba_file'" 2>/dev/null || echo "/etc/postgresql/$version/$cluster/pg_hba.conf")"
	sed -i '1i host all postgres 127.0.0.1/32 trust # added by runblock scripts/ensure-postgres.sh' "$hba"
	pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" reload
	did+=("trusted user postgres on 127.0.0.1 in $hba")
	for _ in $(seq 1 20); do
		psql -h 127.0.0.1 -p "$port" -U postgres -w -Atqc 'SELECT 1' >/dev/null 2>&1 && break
		sleep 0.5
	done
	if ! psql -h 127.0.0.1 -p "$port" -U postgres -w -Atqc 'SELECT 1' >/dev/null 2>&1; then
		echo "ensure-postgres: 127.0.0.1:$port answers but user postgres cannot log in without a password" >&2
		exit 1
	fi
fi

summary="$(IFS=,; echo "${did[*]:-nothing to change}")"
echo "ensure-postgres: ${summary//,/, }; ready on 127.0.0.1:$port"
