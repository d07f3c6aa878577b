#!/usr/bin/env bash
# check-abi.sh [PLUGIN.so]: checks that the plugin loads in the official Fluent Bit 5.1.1 image.
#
# That image (fluent/fluent-bit's dockerfiles/Dockerfile at tag v5.1.1, stage "production") is
# gcr.io/distroless/cc-debian13: Debian 13 "trixie", whose libc6 is 2.41 (2.41-12+deb13u3 in
# distroless' private/repos/deb/trixie.lock.json). It has glibc and the gcc runtime, nothing else a
# Go library could link to. So the library may need:
#   - only glibc's own libraries (NEEDED entries), and
#   - no glibc symbol version newer than GLIBC_MAX (2.41), and no GLIBC_PRIVATE symbol;
#   - and it must export the entry points Fluent Bit's Go proxy looks up with dlsym.
# Without an argument the library is built into a temporary directory first, as `make build` does.
# GLIBC_MAX can be lowered to see the check fail (the test in test/deploy does).
set -euo pipefail
cd "$(dirname "$0")/.."

GLIBC_MAX="${GLIBC_MAX:-2.41}"
GO="${GO:-go}"

for tool in objdump readelf; do
	command -v "$tool" >/dev/null || { echo "check-abi: $tool not found (Debian package binutils)" >&2; exit 2; }
done

so="${1:-}"
if [ -z "$so" ]; then
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	so="$tmp/out_siem_cef.so"
	CGO_ENABLED=1 "$GO" build -buildmode=c-shared -trimpath -o "$so" ./plugin
fi
[ -f "$so" ] || { echo "check-abi: $so: no such file" >&2; exit 2; }

fail=0
problem() {
	echo "check-abi: $so: $*" >&2
	fail=1
}

# 1. Dynamic dependencies: glibc's libraries only (all in the image's libc6 package).
needed="$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p')"
for lib in $needed; do
	case "$lib" in
	libc.so.6 | libpthread.so.0 | libdl.so.2 | libm.so.6 | librt.so.1 | libresolv.so.2 | libutil.so.1) ;;
	ld-linux*.so.* | ld64.so.*) ;;
	*) problem "needs $lib, which the Fluent Bit image does not have (only glibc's libraries are there)" ;;
	esac
done

# 2. glibc symbol versions of the undefined (imported) symbols.
# objdump -T prints e.g. "0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.34) pthread_create"
# (newer binutils without the parentheses).
newest=""
while read -r version symbol; do
	if [ "$version" = "GLIBC_PRIVATE" ]; then
		problem "imports $symbol@GLIBC_PRIVATE, which is not a stable interface"
		continue
	fi
	v="${version#GLIBC_}"
	if [ "$(printf '%s\n%s\n' "$v" "$GLIBC_MAX" | sort -V | tail -n 1)" != "$GLIBC_MAX" ]; then
		problem "imports $symbol@$version, newer than the image's glibc $GLIBC_MAX: build it with an older glibc (Debian 12 or the Dockerfile's build stage)"
	fi
	if [ -z "$newest" ] || [ "$(printf '%s\n%s\n' "$v" "$newest" | sort -V | tail -n 1)" = "$v" ]; then
		newest="$v"
	fi
done < <(objdump -T "$so" | awk '/\*UND\*/ {
	for (i = 1; i <= NF; i++) {
		f = $i; gsub(/[()]/, "", f)
		if (f ~ /^GLIBC_/) { print f, $NF; break }
	}
}')

# 3. The entry points Fluent Bit's Go proxy resolves (src/proxy/go/go.c).
exports="$(objdump -T "$so" | awk '$0 !~ /\*UND\*/ && $NF ~ /^FLBPlugin/ { print $NF }')"
has() { grep -qx "$1" <<<"$exports"; }
for sym in FLBPluginRegister FLBPluginInit; do
	has "$sym" || problem "does not export $sym"
done
has FLBPluginFlushCtx || has FLBPluginFlush || problem "exports neither FLBPluginFlushCtx nor FLBPluginFlush"
has FLBPluginExitCtx || has FLBPluginExit || problem "exports neither FLBPluginExitCtx nor FLBPluginExit"

if [ "$fail" -ne 0 ]; then
	echo "check-abi: FAIL: $so would not load in the Fluent Bit 5.1.1 image (glibc $GLIBC_MAX)" >&2
	exit 1
fi
echo "check-abi: ok: $so links to $(paste -sd ' ' <<<"$needed"); its newest glibc symbol version is GLIBC_${newest:-none} (the image has $GLIBC_MAX)"
