#!/usr/bin/env bash
# test-deps.sh: installs the Debian packages the tests need, when one is missing. Nothing is
# installed when all are present. As root it runs apt-get; otherwise through sudo when there is one;
# otherwise it stops with the command to run.
#   - gcc, libc6-dev: the c-shared plugin and the test host
#   - binutils: objdump and readelf for make check-abi
#   - make, git, ca-certificates: the build, lint's file list, the Go module proxy over HTTPS
#   - shellcheck, yamllint: make lint
#   - rsyslog, rsyslog-gnutls, rsyslog-relp: test/rsyslog delivers to a real rsyslogd (TCP, TLS, RELP)
# staticcheck is not here: scripts/lint.sh runs it from the Go module proxy at a pinned version.
set -euo pipefail

packages=(gcc libc6-dev binutils make git ca-certificates shellcheck yamllint rsyslog rsyslog-gnutls rsyslog-relp)

if ! command -v dpkg-query >/dev/null; then
	echo "test-deps: not a Debian system; the tests need the equivalents of: ${packages[*]}" >&2
	exit 0
fi

missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null; then
	sudo=(sudo)
else
	echo "test-deps: missing ${missing[*]}; run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
echo "test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
