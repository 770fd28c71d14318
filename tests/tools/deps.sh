#!/bin/sh
# deps.sh - what amana needs to build and test, and how to get it on Debian or Ubuntu.
#
#   deps.sh check     fail, naming the Debian package, when a library pkg-config cannot find
#   deps.sh install   apt-get install whatever of the list is missing (with sudo when not root)
#
# The list is the single source for README.md, .ci/run and the Makefile.
set -eu

# Build: compiler, pkg-config and the three libraries. Tests: cmocka, bats and the stock tools
# that the interop tests run against amana's output (age, minisign, tar, sqlite3, b2sum).
BUILD_PKGS="build-essential pkg-config libsodium-dev libarchive-dev libsqlite3-dev"
TEST_PKGS="libcmocka-dev bats age minisign sqlite3 coreutils tar time clang python3 chromium gnupg"

missing_pkgs() {
	for p in $BUILD_PKGS $TEST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"
	done
}

case "${1:-check}" in
check)
	command -v pkg-config >/dev/null 2>&1 || {
		echo "amana: pkg-config is not installed" >&2
		echo "hint: sudo apt-get install pkg-config (or run: make deps)" >&2
		exit 1
	}
	rc=0
	for pair in libsodium:libsodium-dev libarchive:libarchive-dev sqlite3:libsqlite3-dev; do
		lib=${pair%%:*} deb=${pair#*:}
		if ! pkg-config --exists "$lib"; then
			echo "amana: the library '$lib' was not found by pkg-config" >&2
			echo "hint: sudo apt-get install $deb (or run: make deps)" >&2
			rc=1
		fi
	done
	exit $rc
	;;
install)
	command -v dpkg-query >/dev/null 2>&1 || { echo "deps: not a Debian system; install by hand: $BUILD_PKGS $TEST_PKGS" >&2; exit 0; }
	need=$(missing_pkgs)
	[ -z "$need" ] && exit 0
	echo "deps: installing $need"
	if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
	;;
*)
	echo "usage: deps.sh check|install" >&2
	exit 2
	;;
esac
