# Helpers shared by the scripts that build Go programs from Go modules into a per-machine cache
# outside the clone (dev/pulumi-cli.sh, bench/build-peers.sh). Source it after setting GB_PREFIX,
# the word that starts every message (e.g. GB_PREFIX=pulumi-cli).
#
# Messages go to stderr as "PREFIX: text"; `stage` adds the seconds since the script started.
# A build runs in a temporary directory beside its final place and is moved there in one rename,
# under a lock, so two runs build once and a reader sees no cache or a whole one.

# a failure inside $(…) fails the script too (bash clears -e there otherwise)
shopt -s inherit_errexit
# Go from PATH, else where its installer puts it
command -v go >/dev/null 2>&1 || PATH="$PATH:/usr/local/go/bin"
gb_started=$(date +%s)
say() { echo "${GB_PREFIX:?}: $*" >&2; }
stage() { say "[$(( $(date +%s) - gb_started ))s] $*"; }

version_ge() { # $1 >= $2, both x.y.z
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# The cache root every build of this project shares.
cache_base() {
  echo "${PULUMI_IMAGE_MEMBERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-image-members}"
}

go_version() {
  GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || { say "Go is not installed (the build needs it: https://go.dev/dl)"; exit 1; }
}

free_mb() { df -Pm "$1" | awk 'NR==2 {print $4}'; }

# The environment every build runs with: the local Go only (no toolchain download), no cgo, and a
# module cache whose files stay deletable.
go_build_env() {
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-modcacherw
}

# cached_build ROOT KEY CHECK WHAT NEED_MB BUILD_FN
#   Prints FINAL=ROOT/KEY, building it first when FINAL/CHECK is not an executable: takes
#   ROOT/.lock (waiting, with a message naming WHAT, while another run holds it), checks that ROOT
#   and the module cache have NEED_MB free, runs `BUILD_FN TMP FINAL` in a subshell with TMP an
#   empty directory beside FINAL, and renames TMP to FINAL. A failing BUILD_FN fails the script
#   and leaves nothing behind.
cached_build() {
  local root=$1 key=$2 check=$3 what=$4 need_mb=$5 build_fn=$6
  local final="$root/$key"
  if [ -x "$final/$check" ]; then echo "$final"; return; fi
  mkdir -p "$root"
  exec 9>"$root/.lock"
  if ! flock -n 9; then
    say "another run is building $what; waiting for it"
    flock 9
  fi
  if [ -x "$final/$check" ]; then echo "$final"; return; fi # built while we waited
  local gomodcache free_cache free_mod
  gomodcache=$(GOTOOLCHAIN=local go env GOMODCACHE)
  mkdir -p "$gomodcache"
  free_cache=$(free_mb "$root"); free_mod=$(free_mb "$gomodcache")
  if (( free_cache < need_mb || free_mod < need_mb )); then
    say "not enough free disk to build: $free_cache MB at $root, $free_mod MB at $gomodcache (need $need_mb MB each)"
    exit 1
  fi
  local tmp
  tmp=$(mktemp -d "$root/.build.XXXXXX")
  chmod 0755 "$tmp" # readable like the rest of the cache, not mktemp's 0700
  # shellcheck disable=SC2064 # expand now: $tmp is local
  trap "rm -rf '$tmp'" EXIT
  ( "$build_fn" "$tmp" "$final" )
  mv -T "$tmp" "$final" # atomic: a reader sees no cache or a whole one
  trap - EXIT
  exec 9>&-
  stage "built $final/$check"
  echo "$final"
}

# The `go` line of a go.mod file.
gomod_go() { sed -n 's/^go[ \t]\{1,\}\([^ \t]*\).*/\1/p' "$1"; }

# The godebug settings of a go.mod file, one `-godebug=key=value` a line (for `go mod edit`).
gomod_godebug_flags() {
  sed 's://.*$::' "$1" | awk '
    /^godebug[ \t]*\(/ { inb = 1; next }
    inb && /^[ \t]*\)/ { inb = 0; next }
    /^godebug[ \t]/ { sub(/^godebug[ \t]+/, ""); if (NF) print "-godebug=" $1; next }
    inb && NF { print "-godebug=" $1 }'
}

# The replace directives of a go.mod file, one `OLD[ OLDV] => NEW[ NEWV]` a line.
gomod_replaces() {
  sed 's://.*$::' "$1" | awk '
    /^replace[ \t]*\(/ { inb = 1; next }
    inb && /^[ \t]*\)/ { inb = 0; next }
    /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); if (NF) print; next }
    inb && NF { sub(/^[ \t]+/, ""); print }'
}

# Turns gomod_replaces lines into `-replace=OLD[@OLDV]=NEW@NEWV` flags for `go mod edit`. A replace
# by a local directory is printed to stderr as `local: LINE` and makes the function fail: it
# points into the dependency's own repository, and a build of the dependency as a module cannot
# follow it.
replace_flags() {
  local line old oldv new newv local_ones=""
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    read -r old oldv _ new newv <<<"$(sed 's/=>/ => /' <<<"$line" | awk '{ if ($2 == "=>") print $1, "-", $2, $3, $4; else print $1, $2, $3, $4, $5 }')"
    if [ -z "$newv" ]; then local_ones+="local: $line"$'\n'; continue; fi
    if [ "$oldv" = "-" ]; then echo "-replace=$old=$new@$newv"; else echo "-replace=$old@$oldv=$new@$newv"; fi
  done
  [ -z "$local_ones" ] || { printf '%s' "$local_ones" >&2; return 1; }
}
