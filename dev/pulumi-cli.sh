#!/usr/bin/env bash
# The Pulumi CLI this project runs, with the Node.js language host that runs folder programs: the
# `pulumi` and `pulumi-language-nodejs` on PATH when the `pulumi` is new enough, else both built from
# Go modules at pinned versions, once per machine, cached outside the clone.
#
#   dev/pulumi-cli.sh bin            print the directory holding `pulumi` (builds first when needed);
#                                        a built one also holds `pulumi-language-nodejs` and
#                                        `pulumi-resource-pulumi-nodejs`, PATH's may have them elsewhere
#   dev/pulumi-cli.sh run -- ARGS    run that `pulumi` with ARGS (that directory first on PATH)
#
# Environment:
#   PULUMI_IMAGE_MEMBERS_CACHE   cache root (default ${XDG_CACHE_HOME:-~/.cache}/pulumi-image-members)
#   PULUMI_IMAGE_MEMBERS_BUILD=1 ignore any `pulumi` on PATH and use (or build) the cached one
#
# Why a wrapper module: `go install pkg/cmd/pulumi@vX` is refused because pulumi's pkg/go.mod has
# replace directives; a throwaway module requires pkg and sdk at one version and repeats the
# replaces that do not point at local paths. The version ldflag is what `pulumi version` prints.
#
# The language host: from v3.69 on, package nodejs/cmd/pulumi-language-nodejs lives in its own module
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which has no tags, only
# pseudo-versions, and the module proxy reached here answers 403 for its version list and commits.
# v3.68.0 is the last sdk/v3 release holding the package; it is built from there, in a second
# throwaway module that repeats sdk v3.68.0's replaces. The CLI talks to it over the language-runtime
# protocol (it asks newer calls first and falls back when the host does not know them), and it runs
# the program with the project's own @pulumi/pulumi (`@pulumi/pulumi/cmd/run`), as every host does.
set -euo pipefail

CLI_VERSION=v3.274.1
LANGHOST_VERSION=v3.68.0 # the last github.com/pulumi/pulumi/sdk/v3 holding nodejs/cmd/pulumi-language-nodejs
LANGHOST_PKG=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
MIN_PATH_VERSION=3.227.0 # where `--expect-no-changes` exits 7
CLIPBOARD_REPLACE=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
NEED_FREE_MB=4096

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GB_PREFIX=pulumi-cli
# say, stage, version_ge, cache_base, go_version, go_build_env, cached_build, gomod_go,
# gomod_godebug_flags, gomod_replaces, replace_flags
# shellcheck source=go-build.sh
. "$repo/dev/go-build.sh"

# The plugin script that starts a dynamic provider; it ships at the root of @pulumi/pulumi.
plugin_script() {
  local f="$repo/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ ! -f "$f" ]; then
    say "no $f: run 'npm ci' in $repo first"
    exit 1
  fi
  echo "$f"
}

path_cli_dir() {
  [ "${PULUMI_IMAGE_MEMBERS_BUILD:-}" = "1" ] && return 1
  local p v
  p=$(command -v pulumi 2>/dev/null) || return 1
  v=$("$p" version 2>/dev/null | sed 's/^v//') || return 1
  [ -n "$v" ] && version_ge "${v%%-*}" "$MIN_PATH_VERSION" || return 1
  p=$(dirname "$(readlink -f "$p")")
  [ -x "$p/pulumi-resource-pulumi-nodejs" ] || command -v pulumi-resource-pulumi-nodejs >/dev/null || return 1
  # the CLI looks for its language host beside itself, then on PATH
  [ -x "$p/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null || return 1
  echo "$p"
}

cache_root() {
  echo "$(cache_base)/pulumi-cli"
}

build_cli_into() { # $1: directory that receives bin/pulumi
  local out=$1 w="$1/work-cli"
  go_build_env
  mkdir -p "$w" "$out/bin"
  cd "$w"
  go mod init localbuild/pulumi-cli >/dev/null 2>&1
  stage "resolving github.com/pulumi/pulumi/pkg/v3@$CLI_VERSION through $(go env GOPROXY)"
  local pkgmod
  pkgmod=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$CLI_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$pkgmod" ] || { say "the module proxy did not serve github.com/pulumi/pulumi/pkg/v3@$CLI_VERSION"; exit 1; }
  go mod edit -go="$(sed -n 's/^go //p' "$pkgmod")"
  # pkg/go.mod's replaces: sdk => ../sdk (covered by requiring sdk at the same version) and the
  # clipboard fork; anything else would need a look before this build can be trusted
  local others
  others=$(grep -E '=>' "$pkgmod" | grep -vE 'pulumi/sdk/v3 =>|atotto/clipboard =>' || true)
  [ -z "$others" ] || { say "pkg/go.mod at $CLI_VERSION has replaces this script does not know: $others"; exit 1; }
  go mod edit -replace="$CLIPBOARD_REPLACE"
  go get "github.com/pulumi/pulumi/pkg/v3@$CLI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$CLI_VERSION" 2>&1 | grep -vE '^go: (downloading|added|upgraded) ' >&2 || true
  go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$CLI_VERSION" 2>&1 | grep -vE '^go: (downloading|added|upgraded) ' >&2 || true
  local got
  got=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3 | sort -u)
  [ "$got" = "$CLI_VERSION" ] || { say "module graph moved pkg/sdk to: $got (wanted $CLI_VERSION)"; exit 1; }
  stage "compiling pulumi $CLI_VERSION with $(go env GOVERSION) (cold: several minutes on 2 cores)"
  go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$CLI_VERSION" \
    -o "$out/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  cd "$out"
  rm -rf "$w"
  [ "$("$out/bin/pulumi" version)" = "$CLI_VERSION" ] || { say "the built pulumi does not report $CLI_VERSION"; exit 1; }
}

# The Node.js language host, from sdk/v3 at LANGHOST_VERSION (see the header).
build_langhost_into() { # $1: directory that receives bin/pulumi-language-nodejs
  local out=$1 w="$1/work-langhost"
  go_build_env
  mkdir -p "$w" "$out/bin"
  cd "$w"
  go mod init localbuild/pulumi-language-nodejs >/dev/null 2>&1
  stage "resolving github.com/pulumi/pulumi/sdk/v3@$LANGHOST_VERSION (pulumi-language-nodejs) through $(go env GOPROXY)"
  local sdkmod
  sdkmod=$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@$LANGHOST_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$sdkmod" ] || { say "the module proxy did not serve github.com/pulumi/pulumi/sdk/v3@$LANGHOST_VERSION"; exit 1; }
  # the main module's language version and settings as sdk's own go.mod has them, and its replaces
  # (at v3.68.0: golang.org/x/text pinned to v0.3.6), which a dependency's go.mod does not carry over
  local edits flags=()
  edits=$(gomod_godebug_flags "$sdkmod"; gomod_replaces "$sdkmod" | replace_flags 2>&1) ||
    { say "sdk/v3@$LANGHOST_VERSION's go.mod has replaces by local paths this build cannot follow: $(grep '^local: ' <<<"$edits")"; exit 1; }
  [ -z "$edits" ] || mapfile -t flags <<<"$edits"
  go mod edit -go="$(gomod_go "$sdkmod")" "${flags[@]}"
  go get "$LANGHOST_PKG@$LANGHOST_VERSION" 2>&1 | grep -vE '^go: (downloading|added|upgraded) ' >&2 || true
  local got
  got=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)
  [ "$got" = "$LANGHOST_VERSION" ] || { say "module graph moved sdk to $got (wanted $LANGHOST_VERSION)"; exit 1; }
  stage "compiling pulumi-language-nodejs $LANGHOST_VERSION with $(go env GOVERSION)"
  go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_VERSION" \
    -o "$out/bin/pulumi-language-nodejs" "$LANGHOST_PKG"
  cd "$out"
  rm -rf "$w"
  # it starts: its flag set (the CLI passes only the engine's address; -typescript is its TypeScript switch)
  "$out/bin/pulumi-language-nodejs" -help 2>&1 | grep -q -- '-typescript' || { say "the built pulumi-language-nodejs does not start"; exit 1; }
}

build_all() { # $1: empty directory that receives bin/; $2: where it will be moved
  say "no Pulumi CLI >= $MIN_PATH_VERSION with pulumi-language-nodejs on PATH: building pulumi $CLI_VERSION and pulumi-language-nodejs $LANGHOST_VERSION from Go modules into $2 (once per machine)"
  ( build_cli_into "$1" )
  ( build_langhost_into "$1" )
  cp "$(plugin_script)" "$1/bin/pulumi-resource-pulumi-nodejs"
  chmod 0755 "$1/bin/pulumi-resource-pulumi-nodejs"
}

built_cli_dir() {
  local final
  final=$(cached_build "$(cache_root)" "$CLI_VERSION-langhost-$LANGHOST_VERSION-$(go_version)" bin/pulumi "the CLI" "$NEED_FREE_MB" build_all)
  echo "$final/bin"
}

cli_dir() {
  path_cli_dir || built_cli_dir
}

case "${1:-}" in
  bin)
    cli_dir
    ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    dir=$(cli_dir)
    PATH="$dir:$PATH" exec "$dir/pulumi" "$@"
    ;;
  *)
    echo "usage: $0 bin | run -- ARGS" >&2
    exit 2
    ;;
esac
