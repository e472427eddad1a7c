#!/usr/bin/env bash
# The peer tools this project is benchmarked against, built from Go modules at pinned versions,
# once per machine, cached by version outside the clone. A cached build is used as it is: only a
# build needs the Go module proxy.
#
#   bench/build-peers.sh bin tofu                          print the directory holding `tofu`
#   bench/build-peers.sh bin terraform-provider-openstack  print a filesystem mirror directory holding
#        registry.opentofu.org/terraform-provider-openstack/openstack/VERSION/OS_ARCH/terraform-provider-openstack_vVERSION;
#        beside it (MIRROR/../tofurc) is an OpenTofu CLI config that installs that provider from
#        the mirror and from nowhere else (no `direct` block): TF_CLI_CONFIG_FILE=MIRROR/../tofurc
#   bench/build-peers.sh bin pulumi-resource-openstack     print the directory holding
#        `pulumi-resource-openstack` (put it on PATH: the engine takes a plugin found there)
#   bench/build-peers.sh bin all                           build all three, going on past a failure,
#        then print one line per peer to stdout, `PEER ok DIR` or `PEER FAILED ERROR`, and check
#        that `tofu init` installs the provider from the mirror; exits non-zero if anything failed
#
# Each builds first when needed, printing its stages with the elapsed seconds on stderr; a peer
# that cannot be built fails with the error text from `go` (e.g. the module proxy's refusal).
#
# Environment:
#   PULUMI_IMAGE_MEMBERS_CACHE   cache root (default ${XDG_CACHE_HOME:-~/.cache}/pulumi-image-members);
#                                peers go to ROOT/peers/NAME/KEY, KEY naming the versions and the Go used
#
# tofu: `go install …/cmd/tofu@V` is refused because opentofu's go.mod has a replace directive, so a
# throwaway module (localbuild/tofu) takes opentofu's go line, godebug settings and replaces (a
# replace by a local path is refused: it cannot be followed from the module cache) and builds
# cmd/tofu as a tool of it, with the release build's flags.
#
# terraform-provider-openstack: its go.mod has no replaces and its main package is the module root,
# so a plain `go install …@V`, with the release build's version ldflag.
#
# pulumi-resource-openstack: the module proxy reached here refuses every module of
# github.com/pulumi/pulumi-openstack (403 "This module version is not available." for provider/v3,
# provider/v5 and their version lists), so that provider cannot be built from its own module. The
# one built here is ours: bench/peers/pulumi-resource-openstack/ wraps terraform-provider-openstack
# (the upstream that pulumi-openstack itself bridges) with pulumi-terraform-bridge, presents it as
# package `openstack` 3.15.2 with @pulumi/openstack 3.15.2's tokens for ImageAccess and
# ImageAccessAccept, and bridges every other Terraform resource under the bridge's standard tokens.
# Its Pulumi schema is generated from the Terraform schema at build time (`go run -tags gen .`).
set -euo pipefail

TOFU_VERSION=v1.12.6
TPO_VERSION=v3.4.0
TPO_MODULE=github.com/terraform-provider-openstack/terraform-provider-openstack/v3
BRIDGE_VERSION=v3.120.0
BRIDGE_MODULE=github.com/pulumi/pulumi-terraform-bridge/v3
PRO_VERSION=3.15.2 # the version of @pulumi/openstack whose provider ours stands in for
# What pulumi-openstack's provider module pins beside the bridge (at v5.4.1, the release on bridge
# v3.120.0): an old go-getter, pulumi's fork of the Terraform plugin SDK, and the plugin-test shim.
PRO_REPLACES=(
  -replace=github.com/hashicorp/go-getter@v1.5.0=github.com/hashicorp/go-getter@v1.4.0
  -replace=github.com/hashicorp/terraform-plugin-sdk/v2=github.com/pulumi/terraform-plugin-sdk/v2@v2.0.0-20250923233607-7f1981c8674a
  -replace=github.com/hashicorp/terraform-plugin-test=github.com/hashicorp/terraform-plugin-test@v1.3.0
)
PEERS=(tofu terraform-provider-openstack pulumi-resource-openstack)
NEED_FREE_MB=4096

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GB_PREFIX=peers
# shellcheck source=../dev/go-build.sh
. "$repo/dev/go-build.sh"

peers_root() { echo "$(cache_base)/peers/$1"; }

fail() { say "$*"; exit 1; }

# go_step CMD...: runs a go command with its `go: downloading …` chatter dropped; on failure prints
# what go said and fails.
go_step() {
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  out=$(grep -vE '^go: (downloading|added|upgraded|finding) ' <<<"$out" || true)
  if (( rc != 0 )); then
    [ -n "$out" ] || out="'$*' exited $rc"
    fail "$out"
  fi
  [ -z "$out" ] || printf '%s\n' "$out" >&2
}

# The go.mod of MODULE@VERSION from the proxy (path in the module cache), or a failure with the
# proxy's words.
module_gomod() {
  local json gomod err
  json=$(go mod download -json "$1" 2>&1) || true
  gomod=$(sed -n 's/^\s*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  if [ -z "$gomod" ] || [ ! -f "$gomod" ]; then
    err=$(sed -n 's/^\s*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    [ -z "$err" ] || err=$(printf '%b' "$err") # JSON's \n and \t
    fail "${err:-$json}"
  fi
  echo "$gomod"
}

# version_of MODULE: the version the module graph selected, and its replacement if any.
version_of() { go list -m -f '{{.Version}}{{with .Replace}} => {{.Path}}@{{.Version}}{{end}}' "$1"; }

build_tofu() { # $1: empty directory that receives bin/
  local out=$1 w="$1/work" mod=github.com/opentofu/opentofu
  go_build_env
  mkdir -p "$w" "$out/bin"
  cd "$w"
  go mod init localbuild/tofu >/dev/null 2>&1
  stage "resolving $mod@$TOFU_VERSION through $(go env GOPROXY)"
  local gomod flags
  gomod=$(module_gomod "$mod@$TOFU_VERSION")
  go mod edit -go="$(gomod_go "$gomod")"
  mapfile -t flags < <(gomod_godebug_flags "$gomod")
  (( ${#flags[@]} == 0 )) || go mod edit "${flags[@]}"
  flags=()
  local reps
  reps=$(gomod_replaces "$gomod" | replace_flags 2>&1) || fail "$mod@$TOFU_VERSION's go.mod has replaces by local paths this build cannot follow: $(grep '^local: ' <<<"$reps")"
  mapfile -t flags <<<"$reps"
  [ -z "$reps" ] || go mod edit "${flags[@]}"
  go_step go get "$mod@$TOFU_VERSION"
  go_step go get -tool "$mod/cmd/tofu@$TOFU_VERSION"
  local got
  got=$(go list -m -f '{{.Version}}' "$mod")
  [ "$got" = "$TOFU_VERSION" ] || fail "module graph moved $mod to $got (wanted $TOFU_VERSION)"
  # a replace pinned to a version stops applying, silently, once the graph selects another
  local rep old
  while IFS= read -r rep; do
    [ -n "$rep" ] || continue
    old=${rep#-replace=}; old=${old%%=*}
    case "$old" in
      *@*) [ "$(go list -m -f '{{.Version}}' "${old%@*}")" = "${old#*@}" ] \
             || fail "the graph selects $(version_of "${old%@*}"), so the replace of ${old} does not apply" ;;
    esac
  done <<<"$reps"
  stage "compiling tofu $TOFU_VERSION with $(go env GOVERSION) (cold: several minutes on 2 cores)"
  go_step go build -trimpath -ldflags "-s -w -X 'github.com/opentofu/opentofu/version.dev=no'" \
    -o "$out/bin/" "$mod/cmd/tofu"
  cd "$out"
  rm -rf "$w"
  # with an empty CLI config: tofu fails on a TF_CLI_CONFIG_FILE that names no file
  local v
  v=$(TF_CLI_CONFIG_FILE=/dev/null "$out/bin/tofu" version 2>&1) || true
  [ "$(head -n1 <<<"$v")" = "OpenTofu ${TOFU_VERSION}" ] || fail "the built tofu reports '$v', not OpenTofu $TOFU_VERSION"
}

tpo_target() { echo "$(GOTOOLCHAIN=local go env GOOS)_$(GOTOOLCHAIN=local go env GOARCH)"; }
tpo_mirror_path() { # under the mirror directory
  echo "registry.opentofu.org/terraform-provider-openstack/openstack/${TPO_VERSION#v}/$(tpo_target)/terraform-provider-openstack_$TPO_VERSION"
}

build_tpo() { # $1: empty directory that receives mirror/ and tofurc; $2: where it will be moved
  local out=$1 final=$2
  go_build_env
  mkdir -p "$out/work/bin"
  cd "$out/work"
  stage "resolving $TPO_MODULE@$TPO_VERSION through $(go env GOPROXY)"
  local gomod
  gomod=$(module_gomod "$TPO_MODULE@$TPO_VERSION")
  [ -z "$(gomod_replaces "$gomod")" ] || fail "$TPO_MODULE@$TPO_VERSION's go.mod has replaces, which \`go install\` refuses: $(gomod_replaces "$gomod")"
  stage "compiling terraform-provider-openstack $TPO_VERSION with $(go env GOVERSION)"
  GOBIN="$out/work/bin" go_step go install -trimpath \
    -ldflags "-s -w -X $TPO_MODULE/openstack.version=${TPO_VERSION#v}" "$TPO_MODULE@$TPO_VERSION"
  local dest
  dest="$out/mirror/$(tpo_mirror_path)"
  mkdir -p "$(dirname "$dest")"
  install -m 0755 "$out/work/bin/terraform-provider-openstack" "$dest"
  cd "$out"
  rm -rf "$out/work"
  # run by hand, a plugin says what it is and exits 1
  local said
  said=$("$dest" 2>&1) || true
  grep -q 'This binary is a plugin' <<<"$said" || fail "the built terraform-provider-openstack does not start as a plugin: $said"
  cat >"$out/tofurc" <<EOF
# OpenTofu CLI configuration (TF_CLI_CONFIG_FILE): terraform-provider-openstack ${TPO_VERSION#v} from
# the mirror beside this file, no provider from a registry (there is no direct {} block)
provider_installation {
  filesystem_mirror {
    path    = "$final/mirror"
    include = ["registry.opentofu.org/terraform-provider-openstack/openstack"]
  }
}
EOF
}

pro_src() { echo "$repo/bench/peers/pulumi-resource-openstack"; }

build_pro() { # $1: empty directory that receives bin/
  local out=$1 w="$1/work"
  go_build_env
  mkdir -p "$w" "$out/bin"
  cp "$(pro_src)"/*.go "$w/"
  cd "$w"
  go mod init localbuild/pulumi-resource-openstack >/dev/null 2>&1
  stage "resolving $BRIDGE_MODULE@$BRIDGE_VERSION and $TPO_MODULE@$TPO_VERSION through $(go env GOPROXY)"
  local gomod
  gomod=$(module_gomod "$BRIDGE_MODULE@$BRIDGE_VERSION")
  module_gomod "$TPO_MODULE@$TPO_VERSION" >/dev/null
  go mod edit -go="$(gomod_go "$gomod")" "${PRO_REPLACES[@]}"
  go_step go get "$BRIDGE_MODULE@$BRIDGE_VERSION" "$TPO_MODULE@$TPO_VERSION"
  go_step go mod tidy
  local got want
  for want in "$BRIDGE_MODULE $BRIDGE_VERSION" "$TPO_MODULE $TPO_VERSION"; do
    got=$(go list -m -f '{{.Version}}' "${want% *}")
    [ "$got" = "${want#* }" ] || fail "module graph moved ${want% *} to $got (wanted ${want#* })"
  done
  got=$(go list -m -f '{{with .Replace}}{{.Path}}{{end}}' github.com/hashicorp/terraform-plugin-sdk/v2)
  [ "$got" = github.com/pulumi/terraform-plugin-sdk/v2 ] || fail "pulumi's fork of terraform-plugin-sdk/v2 does not apply: $(version_of github.com/hashicorp/terraform-plugin-sdk/v2)"
  stage "generating the Pulumi schema with the bridge's tfgen ($(go env GOVERSION); cold: minutes on 2 cores)"
  go_step go build -trimpath -tags gen -o "$w/gen" .
  go_step "$w/gen" "$w/schema-embed.json"
  stage "compiling pulumi-resource-openstack $PRO_VERSION (bridge $BRIDGE_VERSION, terraform-provider-openstack $TPO_VERSION)"
  go_step go build -trimpath -ldflags "-s -w" -o "$out/bin/pulumi-resource-openstack" .
  cd "$out"
  rm -rf "$w"
  local v
  v=$("$out/bin/pulumi-resource-openstack" -version)
  [ "$v" = "$PRO_VERSION" ] || fail "the built pulumi-resource-openstack reports '$v', not $PRO_VERSION"
}

peer_dir() {
  local gov d src
  gov=$(go_version)
  case "$1" in
    tofu)
      d=$(cached_build "$(peers_root tofu)" "$TOFU_VERSION-$gov" bin/tofu tofu "$NEED_FREE_MB" build_tofu)
      echo "$d/bin" ;;
    terraform-provider-openstack)
      d=$(cached_build "$(peers_root terraform-provider-openstack)" "$TPO_VERSION-$gov" "mirror/$(tpo_mirror_path)" \
        terraform-provider-openstack "$NEED_FREE_MB" build_tpo)
      echo "$d/mirror" ;;
    pulumi-resource-openstack)
      # the key names our source too, so an edit of it is built anew
      src=$(cat "$(pro_src)"/*.go | sha256sum | cut -c1-12)
      d=$(cached_build "$(peers_root pulumi-resource-openstack)" \
        "$PRO_VERSION-bridge$BRIDGE_VERSION-tpo$TPO_VERSION-src$src-$gov" bin/pulumi-resource-openstack \
        pulumi-resource-openstack "$NEED_FREE_MB" build_pro)
      echo "$d/bin" ;;
    *)
      echo "unknown peer '$1' (peers: ${PEERS[*]} all)" >&2
      exit 2 ;;
  esac
}

# `tofu init` of a configuration that requires the provider, with the mirror as the only source.
check_mirror() { # $1: tofu's dir, $2: the mirror dir
  local t rc=0 out
  t=$(mktemp -d)
  cat >"$t/main.tf" <<EOF
terraform {
  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "${TPO_VERSION#v}"
    }
  }
}
EOF
  out=$(cd "$t" && TF_CLI_CONFIG_FILE="$2/../tofurc" TF_IN_AUTOMATION=1 TF_INPUT=0 "$1/tofu" init -no-color 2>&1) || rc=$?
  rm -rf "$t"
  (( rc == 0 )) || { printf '%s\n' "$out" >&2; return 1; }
}

all() {
  local p t0 dir outf errf failed=0 summary=() dirs=()
  outf=$(mktemp); errf=$(mktemp)
  for p in "${PEERS[@]}"; do
    # each in its own process, so one failing stops only itself; its stderr is shown and kept
    t0=$(date +%s)
    if bash "${BASH_SOURCE[0]}" bin "$p" 2>&1 >"$outf" | tee "$errf" >&2; then
      dir=$(cat "$outf")
      summary+=("$p ok $dir"); dirs+=("$dir")
      stage "$p: ok in $(( $(date +%s) - t0 ))s"
    else
      stage "$p: FAILED after $(( $(date +%s) - t0 ))s"
      failed=1; dirs+=("")
      # what the build failed with: everything it said after its last stage line, less our
      # prefix, its further lines indented so that each summary starts a line with its peer
      summary+=("$p FAILED $(awk '
        /^peers: \[[0-9]+s\] / { buf = ""; next }
        { sub(/^peers: /, ""); if (buf != "" && $0 !~ /^[ \t]/) $0 = "  " $0; buf = buf (buf != "" ? "\n" : "") $0 }
        END { print buf }' "$errf")")
    fi
  done
  rm -f "$outf" "$errf"
  if [ -n "${dirs[0]}" ] && [ -n "${dirs[1]}" ]; then
    stage "checking that tofu init installs terraform-provider-openstack from the mirror alone"
    if check_mirror "${dirs[0]}" "${dirs[1]}"; then
      summary+=("mirror ok tofu init installed terraform-provider-openstack ${TPO_VERSION#v} from ${dirs[1]}")
    else
      failed=1; summary+=("mirror FAILED tofu init with ${dirs[1]}/../tofurc (output above)")
    fi
  fi
  printf '%s\n' "${summary[@]}"
  return "$failed"
}

case "${1:-}" in
  bin)
    [ -n "${2:-}" ] || { echo "usage: $0 bin PEER   (PEER: ${PEERS[*]} all)" >&2; exit 2; }
    if [ "$2" = all ]; then all; else peer_dir "$2"; fi
    ;;
  *)
    echo "usage: $0 bin PEER   (PEER: ${PEERS[*]} all)" >&2
    exit 2
    ;;
esac
