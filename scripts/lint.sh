#!/usr/bin/env bash
# lint.sh: every linter of `make test`, each over every file of its kind; all run, then the status
# says whether any failed.
#   - gofmt, go vet: Go files
#   - staticcheck: Go packages; fetched from the Go module proxy at STATICCHECK_VERSION
#   - the shell script checker: *.sh, and files whose first line names sh or bash
#   - yamllint: every *.yaml / *.yml file (.yamllint.yaml says which are left out)
# The files are the repository's: tracked, or new and not ignored.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

GO="${GO:-go}"
# 2026.2.2; the first release line that knows Go 1.26.
STATICCHECK_VERSION="${STATICCHECK_VERSION:-v0.8.2}"

status=0
step() {
	echo "lint: $*"
}
failed() {
	echo "lint: FAIL: $*" >&2
	status=1
}

files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard -- "$@" | while read -r f; do
			[ -f "$f" ] && printf '%s\n' "$f"
		done
	else
		local args=() p
		for p in "$@"; do
			args+=(-o -name "${p##*/}")
		done
		find . -path ./.git -prune -o -path ./build -prune -o -type f \( -false "${args[@]}" \) -print | sed 's|^\./||'
	fi
}

mapfile -t gofiles < <(files '*.go')
step "gofmt (${#gofiles[@]} files)"
out="$(gofmt -l "${gofiles[@]}")"
[ -z "$out" ] || failed "gofmt would change: $out"

step "go vet"
"$GO" vet ./... || failed "go vet"

step "staticcheck $STATICCHECK_VERSION"
"$GO" run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ./... || failed "staticcheck"

mapfile -t shfiles < <(
	{
		files '*.sh'
		files '*' | while read -r f; do
			case "$f" in *.sh) continue ;; esac
			head -n 1 "$f" 2>/dev/null | grep -qE '^#!.*\b(ba|da)?sh\b' && printf '%s\n' "$f"
		done
	} | sort -u
)
step "shellcheck (${#shfiles[@]} files: ${shfiles[*]})"
if ! command -v shellcheck >/dev/null; then
	failed "shellcheck not found (Debian package shellcheck)"
elif ! shellcheck "${shfiles[@]}"; then
	failed "shellcheck"
fi

mapfile -t yamlfiles < <(files '*.yaml' '*.yml')
step "yamllint (${#yamlfiles[@]} files)"
if ! command -v yamllint >/dev/null; then
	failed "yamllint not found (Debian package yamllint)"
elif ! yamllint --strict -c .yamllint.yaml "${yamlfiles[@]}"; then
	failed "yamllint"
fi

if [ "$status" -eq 0 ]; then
	echo "lint: ok"
fi
exit "$status"
