#!/usr/bin/env bash
# Makes sure a Redis answers on 127.0.0.1:${REDIS_PORT:-6379} for tests and
# local runs. Safe to run repeatedly: it only acts when nothing answers.
set -euo pipefail

port="${REDIS_PORT:-6379}"

ping_redis() {
	if command -v redis-cli >/dev/null 2>&1; then
		[[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" == "PONG" ]]
		return
	fi
	# Without redis-cli, speak RESP by hand over bash's /dev/tcp.
	local reply=""
	{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
	printf 'PING\r\n' >&3
	read -r -t 2 reply <&3 || true
	exec 3>&- 3<&-
	[[ "$reply" == "+PONG"* ]]
}

if ping_redis; then
	echo "ensure-redis: Redis already answering on 127.0.0.1:$port"
	exit 0
fi

installed=""
if ! command -v redis-server >/dev/null 2>&1; then
	if [[ "$(id -u)" -ne 0 ]]; then
		echo "ensure-redis: redis-server is not installed and installing needs root" >&2
		exit 1
	fi
	# The package lists are often fresh enough; update only if that fails.
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; then
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
	fi
	installed="installed redis-server and "
fi

# The package may have started its own service on the default port; ask
# again before starting a second one.
if ping_redis; then
	echo "ensure-redis: ${installed}Redis is answering on 127.0.0.1:$port"
	exit 0
fi

mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
	--dir /var/lib/redis --logfile /var/log/redis/ci.log

for _ in $(seq 1 100); do
	if ping_redis; then
		echo "ensure-redis: ${installed}started Redis on 127.0.0.1:$port"
		exit 0
	fi
	sleep 0.1
done
echo "ensure-redis: started redis-server but it did not answer PING within 10 s (see /var/log/redis/ci.log)" >&2
exit 1
