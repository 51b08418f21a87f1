#!/bin/sh
# Installs what the test suite needs beyond Go, on a fresh Debian machine. Idempotent: a
# package already present is not fetched again. Each need is one line below, with why.
set -eu

need_pkgs=""
want() { # want COMMAND PACKAGE: install PACKAGE unless COMMAND is on PATH
	command -v "$1" >/dev/null 2>&1 || need_pkgs="$need_pkgs $2"
}

# (needs are added here as the suite grows)
# Prometheus 2.42 (/usr/bin/prometheus) and promtool: the oracle of fakeprom's
# differential test and the baseline of its benchmarks (fakeprom/promdiff_test.go).
want prometheus prometheus
# xmllint: validates `canarydrill run --format junit` against the JUnit schema (reports/).
want xmllint libxml2-utils
# etcd 3.4 (/usr/bin/etcd): the store of the real control plane that the real-API tests
# start (internal/controlplane, docs/real-cluster.md).
want etcd etcd-server

if [ -n "$need_pkgs" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need_pkgs
fi
