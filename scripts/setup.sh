#!/bin/sh
# Installs what rewind's build, demo and tests need and is missing.
# Debian; run as root (or with sudo available). Safe to run repeatedly.
set -eu

need=""
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need="$need gcc libc6-dev"
have make || need="$need make"
have gdb || need="$need gdb"
[ -x /usr/bin/python3 ] || need="$need python3" # Debian's: a pyenv shim forks, which needs threads/processes support
have sqlite3 || need="$need sqlite3"
if [ "${1:-}" = "test" ]; then
	have lldb-22 || need="$need lldb-22"
fi

if [ -n "$need" ]; then
	echo "setup: installing$need"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# lldb-22 may be absent from the configured suites; the tests that need it say so.
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq $need || {
		echo "setup: some packages failed to install; retrying without lldb-22" >&2
		# shellcheck disable=SC2086
		$SUDO apt-get install -y -qq $(echo $need | sed 's/lldb-22//')
	}
fi
have go || { echo "setup: Go 1.26 is required (not found on PATH)" >&2; exit 1; }

if [ "${1:-}" = "test" ]; then
	# Delve for test/delve_test.go, the version go.mod names, in the
	# project's .tools/bin, where the tests look for it.
	root=$(cd "$(dirname "$0")/.." && pwd)
	dlv_version=$(cd "$root" && go list -m -f '{{.Version}}' github.com/go-delve/delve)
	tools="$root/.tools/bin"
	if ! "$tools/dlv" version 2>/dev/null | grep -qx "Version: ${dlv_version#v}"; then
		echo "setup: installing dlv $dlv_version into $tools"
		GOBIN="$tools" go install "github.com/go-delve/delve/cmd/dlv@$dlv_version"
	fi
	echo "setup: dlv $dlv_version is $tools/dlv"
fi
