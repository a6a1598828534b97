#!/usr/bin/env bash
# Start PostgreSQL, Redis and RabbitMQ where one is installed but stopped; install them
# from Debian's packages on a machine that has none.
set -euo pipefail

if ! command -v rabbitmq-server >/dev/null || ! command -v redis-server >/dev/null \
   || ! ls /etc/postgresql >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq rabbitmq-server postgresql redis-server >/dev/null
fi

# The fonts of the invoice PDFs (config INVOICING.FONTS): DejaVu for Latin, Greek and Cyrillic,
# Droid Sans Fallback (TrueType outlines, which ReportLab needs) for Chinese, Japanese and Korean.
if ! dpkg -s fonts-dejavu-core fonts-droid-fallback >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends fonts-dejavu-core fonts-droid-fallback >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

# Each system (a dev `make run`, a test run, `make bench`) holds about 40 connections, a pool per
# process: PostgreSQL's default of 100 runs out when two or three share this server (CI beside a
# benchmark). Raised once, with a restart of the server.
if [ "$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW max_connections')" -lt 300 ]; then
  psql -h 127.0.0.1 -U postgres -qc "ALTER SYSTEM SET max_connections = 300"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main restart
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

if ! rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmq-server -detached
  rabbitmqctl -q await_startup
elif ! rabbitmqctl -q list_vhosts >/dev/null 2>&1; then
  rabbitmqctl -q start_app   # the node runs but its app was stopped
fi

# The broker's users and permissions are set through the management API (plumbing/broker.py).
if ! curl -sf -o /dev/null http://127.0.0.1:15672/; then
  rabbitmq-plugins -q enable rabbitmq_management >/dev/null
  for _ in $(seq 30); do curl -sf -o /dev/null http://127.0.0.1:15672/ && break; sleep 1; done
fi

# Per-queue series for Prometheus (deploy/prometheus.yml's rabbitmq job, on port 15692).
if ! curl -sf -o /dev/null http://127.0.0.1:15692/metrics; then
  rabbitmq-plugins -q enable rabbitmq_prometheus >/dev/null
  for _ in $(seq 30); do curl -sf -o /dev/null http://127.0.0.1:15692/metrics && break; sleep 1; done
fi
