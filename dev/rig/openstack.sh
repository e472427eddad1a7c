#!/usr/bin/env bash
# dev/rig/openstack.sh -- a throwaway real OpenStack (Keystone 22 + Glance 25, "Zed") on 127.0.0.1
# for this project's integration tests, from Debian 12 packages: sqlite, no Docker, no MySQL,
# rabbit, memcached, apache or uwsgi. ~50 s to install once, ~8 s to start.
#
#   bash dev/rig/openstack.sh install             install the Debian packages if missing (root)
#   bash dev/rig/openstack.sh up                  start keystone + glance, provision, write clouds.yaml
#   bash dev/rig/openstack.sh down                stop exactly what `up` started in that state dir
#   bash dev/rig/openstack.sh restart keystone|glance   stop + start one service, data kept
#   bash dev/rig/openstack.sh status              which of the state dir's processes run
#
# Environment (all optional):
#   OSDEV_STATE                 state dir (default: <repo>/.state/openstack, git-ignored). `up` wipes
#                               it first; it refuses a non-empty dir that it did not create itself.
#   KEYSTONE_PORT, GLANCE_PORT  loopback ports (5000, 9292)
#   GLANCE_SECURE_RBAC          0 = legacy policies; 1 = secure RBAC; scope = secure RBAC with scope
#                               enforcement, what current clouds run (default scope)
#   KEYSTONE_SECURE_RBAC        the same for keystone's own policies (default: GLANCE_SECURE_RBAC)
#   GLANCE_IMAGE_MEMBER_QUOTA   max members per image (128; more gives 413; -1 = unlimited)
#   GLANCE_LIMIT_PARAM_DEFAULT  images per page of GET /v2/images when no limit is given (25)
#   GLANCE_API_LIMIT_MAX        the most images per page, whatever limit is asked for (1000)
#   KEYSTONE_TOKEN_EXPIRATION   token lifetime in seconds (3600)
#   GLANCE_TOKEN_CACHE_TIME     how long glance trusts a token it validated, seconds (300; -1 = ask
#                               keystone on every request, so a revoked token fails at once)
#   OS_USER_PASSWORD            password of producer-user, consumer-user, outsider-user (random)
#   OS_ADMIN_PASSWORD           password of admin (default: OS_USER_PASSWORD)
#   OSDEV_OWNER_PID             if set, a watchdog runs `down` when that process exits (so a crashed
#                               test run leaves no servers behind); OSDEV_WIPE_ON_OWNER_EXIT=1 also
#                               deletes the state dir then
#
# Output of `up` in the state dir: clouds.yaml (entries producer, consumer, outsider, admin),
# ids.json (project and user ids by name), env (sourceable: OS_CLIENT_CONFIG_FILE, OS_CLOUD=admin,
# KEYSTONE_URL, GLANCE_URL, *_PROJECT_ID, *_USER_ID), log/ (every server's log), run/ (PID files).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# Debian's packages live in /usr/lib/python3/dist-packages: always use Debian's interpreter, never
# the pyenv/venv python3 that may come first in PATH (it cannot import keystone or glance).
PY=/usr/bin/python3
PACKAGES=(python3-keystone python3-glance python3-openstacksdk curl)
# never send loopback traffic through an HTTP proxy (curl, urllib, and the requests library that
# keystonemiddleware uses inside glance-api all honour these)
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
T0=$(now_ms)
elapsed() { local d=$(( $(now_ms) - T0 )); printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100)); }
log() { printf '[openstack.sh %5ss] %s\n' "$(elapsed)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# die with the tail of the log files that explain the failure (the caller's error shows them)
die_logs() {
  local msg=$1 f; shift
  log "ERROR: $msg"
  for f in "$@"; do
    [[ -s $f ]] || continue
    printf -- '--- last 30 lines of %s ---\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
  exit 1
}

# ---- packages --------------------------------------------------------------------------------
# find_spec instead of import: the same answer for "is it installed" in 20 ms instead of 0.9 s
packages_present() {
  [[ -x $PY ]] && command -v curl >/dev/null && $PY -c 'import importlib.util as u, sys
sys.exit(not all(u.find_spec(m) for m in ("keystone", "glance", "keystonemiddleware", "openstack")))' 2>/dev/null
}

cmd_install() {
  if packages_present; then
    echo "openstack.sh: ${PACKAGES[*]} already installed"
    return 0
  fi
  local how="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PACKAGES[*]}"
  command -v apt-get >/dev/null || die "no apt-get here; this rig needs Debian 12 (bookworm) packages: ${PACKAGES[*]}"
  (( EUID == 0 )) || die "Debian packages missing (${PACKAGES[*]}); as root run: $how"
  log "installing ${PACKAGES[*]} with apt-get (about 50 s, once)"
  local out; out=$(mktemp)
  # the lock timeout lets two concurrent installs (e.g. parallel `up`s) queue instead of failing
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
           --no-install-recommends -o DPkg::Lock::Timeout=300 "${PACKAGES[@]}"; } >"$out" 2>&1; then
    tail -n 40 "$out" >&2; rm -f "$out"
    die "apt-get failed; to retry by hand: $how"
  fi
  rm -f "$out"
  packages_present || die "apt-get installed ${PACKAGES[*]} but $PY still cannot import keystone, glance, keystonemiddleware, openstack"
  log "packages installed"
}

# ---- state dir and processes -----------------------------------------------------------------
MARKER=.openstack-rig   # marks a dir this script created, the only kind `up` will wipe

resolve_state() {
  STATE=$(realpath -m -- "${OSDEV_STATE:-$REPO/.state/openstack}")
  [[ $STATE == /* && $STATE != / && $STATE != "$HOME" && $STATE != "$REPO" ]] \
    || die "refusing OSDEV_STATE=$STATE"
  RUN=$STATE/run LOG=$STATE/log
  # the logs that explain a failed start of each server
  KEYSTONE_LOGS=("$LOG/keystone.log" "$LOG/keystone-access.log")
  GLANCE_LOGS=("$LOG/glance-api.stdout.log" "$LOG/glance-api.log")
}

# running = exists and is not a zombie. `kill -0` succeeds on zombies, and our servers' parent
# shell has exited, so they can stay zombies for a while before init reaps them.
alive() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }            # drop "pid (comm) ": comm may contain spaces
  [[ -n $s && ${s%% *} != Z ]]
}

# the process's command line names this state dir (guards against PID reuse: never signal a
# process that is not ours)
owned() {
  local arg
  [[ -r /proc/$1/cmdline ]] || return 1
  while IFS= read -r -d '' arg; do
    [[ $arg == "$STATE" || $arg == "$STATE"/* ]] && return 0
  done 2>/dev/null <"/proc/$1/cmdline"
  return 1
}

# stop_services NAME...: SIGTERM the processes in $RUN/NAME.pid, SIGKILL after 10 s
stop_services() {
  local name f pid i
  local -a pids=() names=()
  for name in "$@"; do
    f=$RUN/$name.pid
    [[ -f $f ]] || continue
    pid=$(<"$f")
    rm -f "$f"
    [[ $pid =~ ^[0-9]+$ ]] && (( pid != $$ )) || continue
    alive "$pid" || continue
    if ! owned "$pid"; then
      log "pid $pid is not this state dir's $name any more; not touching it"
      continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid") names+=("$name")
  done
  (( ${#pids[@]} )) || return 0
  for i in "${!pids[@]}"; do
    for _ in $(seq 1 200); do alive "${pids[i]}" || break; sleep 0.05; done
    if alive "${pids[i]}"; then
      log "${names[i]} (pid ${pids[i]}) ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
    log "stopped ${names[i]} (pid ${pids[i]})"
  done
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_keystone() {
  # nohup: survive the terminal that ran `up` closing
  nohup "$PY" "$HERE/keystone-server.py" "$STATE" 127.0.0.1 "$KEYSTONE_PORT" \
    >>"$LOG/keystone-access.log" 2>&1 </dev/null &
  echo $! >"$RUN/keystone.pid"
}

start_glance() {
  nohup "$PY" -m glance.cmd.api --config-file "$STATE/glance-api.conf" \
    >>"$LOG/glance-api.stdout.log" 2>&1 </dev/null &
  echo $! >"$RUN/glance-api.pid"
}


# wait_http URL TIMEOUT_S NAME LOGFILE...: until URL answers 2xx; fail early if the server exited
wait_http() {
  local url=$1 timeout=$2 name=$3 pid deadline; shift 3
  pid=$(<"$RUN/$name.pid")
  deadline=$(( $(now_ms) + timeout * 1000 ))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    alive "$pid" || die_logs "$name exited during start-up" "$@"
    (( $(now_ms) < deadline )) || die_logs "$name did not answer $url within $timeout s" "$@"
    sleep 0.1
  done
}

# ---- up ------------------------------------------------------------------------------------
int_knob() { # NAME VALUE MIN
  [[ $2 =~ ^-?(0|[1-9][0-9]*)$ ]] && (( $2 >= $3 )) || die "$1 must be an integer >= $3, not '$2'"
}
# 0|1|scope -> "<enforce_new_defaults (= glance enforce_secure_rbac)> <enforce_scope>"
rbac_flags() { case $1 in 0) echo false false;; 1) echo true false;; scope) echo true true;; *) return 1;; esac; }
random_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

cmd_up() {
  resolve_state
  KEYSTONE_PORT=${KEYSTONE_PORT:-5000}
  GLANCE_PORT=${GLANCE_PORT:-9292}
  local quota=${GLANCE_IMAGE_MEMBER_QUOTA:-128}
  local limit_default=${GLANCE_LIMIT_PARAM_DEFAULT:-25}
  local limit_max=${GLANCE_API_LIMIT_MAX:-1000}
  local token_expiration=${KEYSTONE_TOKEN_EXPIRATION:-3600}
  local token_cache=${GLANCE_TOKEN_CACHE_TIME:-300}
  local gl_rbac=${GLANCE_SECURE_RBAC:-scope}
  local ks_rbac=${KEYSTONE_SECURE_RBAC:-$gl_rbac}
  local user_password=${OS_USER_PASSWORD:-$(random_hex)}
  local admin_password=${OS_ADMIN_PASSWORD:-$user_password}
  int_knob KEYSTONE_PORT "$KEYSTONE_PORT" 1; int_knob GLANCE_PORT "$GLANCE_PORT" 1
  (( KEYSTONE_PORT != GLANCE_PORT )) || die "KEYSTONE_PORT and GLANCE_PORT are both $GLANCE_PORT"
  int_knob GLANCE_IMAGE_MEMBER_QUOTA "$quota" -1
  int_knob GLANCE_LIMIT_PARAM_DEFAULT "$limit_default" 1
  int_knob GLANCE_API_LIMIT_MAX "$limit_max" 1
  int_knob KEYSTONE_TOKEN_EXPIRATION "$token_expiration" 1
  int_knob GLANCE_TOKEN_CACHE_TIME "$token_cache" -1
  local gl_flags ks_flags gl_new gl_scope ks_new ks_scope
  gl_flags=$(rbac_flags "$gl_rbac") || die "GLANCE_SECURE_RBAC must be 0, 1 or scope, not '$gl_rbac'"
  ks_flags=$(rbac_flags "$ks_rbac") || die "KEYSTONE_SECURE_RBAC must be 0, 1 or scope, not '$ks_rbac'"
  read -r gl_new gl_scope <<<"$gl_flags"
  read -r ks_new ks_scope <<<"$ks_flags"
  [[ $user_password != *$'\n'* && $admin_password != *$'\n'* ]] || die "passwords must be one line"

  packages_present || cmd_install

  # ---- a clean state dir (stop what a previous `up` here started, by its PID files)
  if [[ -e $STATE ]]; then
    if [[ -f $STATE/$MARKER ]]; then
      stop_services watchdog glance-api keystone
    elif [[ -n $(ls -A "$STATE" 2>/dev/null) ]]; then
      die "$STATE is not empty and was not made by this script; refusing to wipe it"
    fi
    find "$STATE" -mindepth 1 -delete
  fi
  local p
  for p in "$KEYSTONE_PORT" "$GLANCE_PORT"; do
    ! port_busy "$p" || die "127.0.0.1:$p is in use by a process this script did not start"
  done
  umask 077   # config files and clouds.yaml hold passwords
  mkdir -p "$STATE" "$RUN" "$LOG" "$STATE"/{fernet-keys,credential-keys,images,staging,lock}
  touch "$STATE/$MARKER"
  local ks_url="http://127.0.0.1:$KEYSTONE_PORT" gl_url="http://127.0.0.1:$GLANCE_PORT"
  # what `restart` needs
  cat >"$STATE/settings.env" <<EOF
KEYSTONE_PORT=$KEYSTONE_PORT
GLANCE_PORT=$GLANCE_PORT
EOF

  # ---- keystone config
  cat >"$STATE/keystone.conf" <<EOF
[DEFAULT]
log_file = $LOG/keystone.log
use_stderr = false
debug = false
[database]
connection = sqlite:///$STATE/keystone.sqlite
# PRAGMA synchronous=OFF: no fsync per commit (throwaway data)
sqlite_synchronous = false
[token]
provider = fernet
expiration = $token_expiration
[fernet_tokens]
key_repository = $STATE/fernet-keys
[fernet_receipts]
key_repository = $STATE/fernet-keys
[credential]
key_repository = $STATE/credential-keys
[identity]
# bcrypt cost 4 instead of 12: a password check takes ~1 ms instead of ~250 ms
password_hash_rounds = 4
[cache]
# in-process dogpile cache: authenticated requests drop from ~250 ms to ~6 ms (without it
# keystone runs ~200 SQL queries per token validation)
enabled = true
backend = dogpile.cache.memory
[oslo_messaging_notifications]
driver = noop
[oslo_policy]
enforce_scope = $ks_scope
enforce_new_defaults = $ks_new
EOF

  # ---- glance config (python3-glance ships no glance-api binary and no paste ini)
  cat >"$STATE/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
# 0 = one process with a green-thread pool; the default forks one worker per CPU, which is no
# faster here and makes stopping it harder
workers = 0
log_file = $LOG/glance-api.log
use_stderr = false
debug = false
image_member_quota = $quota
limit_param_default = $limit_default
api_limit_max = $limit_max
enabled_backends = fs:file
# must equal [oslo_policy] enforce_new_defaults, or glance-api refuses to start
enforce_secure_rbac = $gl_new
[database]
connection = sqlite:///$STATE/glance.sqlite
sqlite_synchronous = false
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $STATE/images/
[os_glance_staging_store]
filesystem_store_datadir = $STATE/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $STATE/staging/
[paste_deploy]
flavor = keystone
config_file = $STATE/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = $ks_url/v3
auth_url = $ks_url/v3
auth_type = password
username = glance
password = $(random_hex | tee "$STATE/.glance-service-password")
project_name = service
user_domain_id = default
project_domain_id = default
token_cache_time = $token_cache
service_token_roles_required = false
[oslo_policy]
enforce_scope = $gl_scope
enforce_new_defaults = $gl_new
# an empty policy file = the built-in defaults; never a stray /etc/glance/policy.yaml
policy_file = $STATE/glance-policy.yaml
[oslo_concurrency]
lock_path = $STATE/lock
[oslo_messaging_notifications]
driver = noop
EOF
  : >"$STATE/glance-policy.yaml"
  # the keystone pipeline of glance-common 25.1.0's /usr/share/glance-common/glance-api-paste.ini
  cat >"$STATE/glance-api-paste.ini" <<EOF
[pipeline:glance-api-keystone]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler authtoken context rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:healthcheck]
paste.filter_factory = oslo_middleware:Healthcheck.factory
backends = disable_by_file
disable_by_file_path = $STATE/healthcheck_disable
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
EOF

  # If anything below fails, stop exactly what this run started: the helper jobs (tracked
  # here) and the servers (PID files, checked against /proc/PID/cmdline).
  BG=()
  trap 'rc=$?; if (( rc )); then cleanup_failed_up; fi' EXIT

  # ---- schemas, keys, bootstrap. Each python start costs ~1.5 s of imports on these 2 cores,
  # so: both db_syncs side by side; glance-api starts as soon as its schema exists (it needs
  # keystone only at its first request); keystone's server boots while bootstrap fills its DB
  # (nothing is requested from it before bootstrap is done, so its cache sees only final data).
  log "db_sync keystone + glance"
  cd "$STATE"
  local km=(/usr/bin/keystone-manage --config-file "$STATE/keystone.conf")
  local gsync ksync
  "$PY" -m glance.cmd.manage --config-file "$STATE/glance-api.conf" db_sync \
    >"$LOG/glance-manage.log" 2>&1 & gsync=$!; BG+=("$gsync")
  "${km[@]}" db_sync >"$LOG/keystone-manage-db_sync.log" 2>&1 & ksync=$!; BG+=("$ksync")
  # Fernet token keys and credential keys: what `keystone-manage fernet_setup` and
  # `credential_setup` write (urlsafe base64 of 32 random bytes; 0 = staged, 1 = primary),
  # without two more 2-second python starts
  local dir i
  for dir in fernet-keys credential-keys; do
    for i in 0 1; do head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$STATE/$dir/$i"; done
  done

  wait "$gsync" || die_logs "glance db_sync failed" "$LOG/glance-manage.log"
  # WAL journal (persistent in the file): a lingering reader no longer blocks a writer's COMMIT.
  # The default rollback journal gave "database is locked" -> HTTP 500 under concurrent requests.
  wal "$STATE/glance.sqlite"
  start_glance
  wait "$ksync" || die_logs "keystone-manage db_sync failed" "$LOG/keystone-manage-db_sync.log"
  wal "$STATE/keystone.sqlite"
  log "schemas done"

  start_keystone
  # the bootstrap password goes through the environment, not argv (world-readable in /proc)
  OS_BOOTSTRAP_PASSWORD=$admin_password "${km[@]}" bootstrap \
      --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
      --bootstrap-admin-url "$ks_url/v3" --bootstrap-internal-url "$ks_url/v3" \
      --bootstrap-public-url "$ks_url/v3" >"$LOG/keystone-manage-bootstrap.log" 2>&1 \
    || die_logs "keystone-manage bootstrap failed" "$LOG/keystone-manage-bootstrap.log" "$LOG/keystone.log"
  log "keystone bootstrap done"
  wait_http "$ks_url/v3" 60 keystone "${KEYSTONE_LOGS[@]}"
  log "keystone answers on $ks_url"
  wait_http "$gl_url/healthcheck" 60 glance-api "${GLANCE_LOGS[@]}"
  log "glance answers on $gl_url"

  STATE=$STATE KS_URL=$ks_url GL_URL=$gl_url ADMIN_PASSWORD=$admin_password \
  USER_PASSWORD=$user_password GLANCE_SERVICE_PASSWORD=$(<"$STATE/.glance-service-password") \
  GLANCE_SECURE_RBAC=$gl_rbac KEYSTONE_SECURE_RBAC=$ks_rbac \
    "$PY" "$HERE/provision.py" >"$LOG/provision.log" 2>&1 \
    || die_logs "provisioning (catalog, projects, users) failed" "$LOG/provision.log" "${KEYSTONE_LOGS[@]}" "${GLANCE_LOGS[@]}"
  log "catalog (image service in RegionOne), projects producer/consumer/outsider and users created"

  if [[ -n ${OSDEV_OWNER_PID:-} ]]; then
    local start
    start=$(proc_start "$OSDEV_OWNER_PID")
    [[ -n $start ]] || die "OSDEV_OWNER_PID=$OSDEV_OWNER_PID is not a running process"
    nohup bash "$HERE/openstack.sh" _watch "$STATE" "$OSDEV_OWNER_PID" "$start" \
      "${OSDEV_WIPE_ON_OWNER_EXIT:-0}" >>"$LOG/watchdog.log" 2>&1 </dev/null &
    echo $! >"$RUN/watchdog.pid"
  fi

  local ready; ready=$(elapsed)
  echo "ready_seconds=$ready" >"$STATE/timings.txt"
  log "ready in $ready s: keystone $ks_url/v3, glance $gl_url, policies glance=$gl_rbac keystone=$ks_rbac"
  echo "state=$STATE"
  echo "clouds=$STATE/clouds.yaml"
  echo "ready_seconds=$ready"
}

wal() { "$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$1"; }

cleanup_failed_up() {
  local pid
  for pid in "${BG[@]}"; do
    if alive "$pid" && owned "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  stop_services watchdog glance-api keystone
  log "start-up failed: stopped what it had started; logs in $LOG"
}

# field 22 of /proc/PID/stat (start time): tells a process from a later one with the same PID
proc_start() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }
  set -- $s
  [[ $1 != Z ]] && echo "${20}"
  return 0
}

# ---- down / restart / status / watchdog ------------------------------------------------------
cmd_down() {
  resolve_state
  [[ -d $RUN ]] || { echo "openstack.sh: nothing to stop in $STATE"; return 0; }
  stop_services watchdog glance-api keystone
}

cmd_restart() {
  local svc=${1:-}
  resolve_state
  [[ -f $STATE/settings.env && -f $STATE/ids.json ]] || die "no rig was started in $STATE"
  . "$STATE/settings.env"
  case $svc in
    keystone)
      stop_services keystone
      start_keystone
      wait_http "http://127.0.0.1:$KEYSTONE_PORT/v3" 60 keystone "${KEYSTONE_LOGS[@]}";;
    glance|glance-api)
      stop_services glance-api
      start_glance
      wait_http "http://127.0.0.1:$GLANCE_PORT/healthcheck" 60 glance-api "${GLANCE_LOGS[@]}";;
    *) die "usage: openstack.sh restart keystone|glance";;
  esac
  log "restarted $svc"
}

cmd_status() {
  resolve_state
  local name pid rc=1
  for name in keystone glance-api watchdog; do
    pid=$(cat "$RUN/$name.pid" 2>/dev/null || true)
    if [[ -n $pid ]] && alive "$pid" && owned "$pid"; then echo "$name: running (pid $pid)"; rc=0
    else echo "$name: stopped"; fi
  done
  return $rc
}

# _watch STATE OWNER_PID OWNER_START WIPE: internal, started by `up` when OSDEV_OWNER_PID is set
cmd_watch() {
  STATE=$1 RUN=$1/run LOG=$1/log
  while [[ $(proc_start "$2") == "$3" ]]; do sleep 1; done
  [[ -d $RUN ]] || exit 0
  log "owner process $2 exited: stopping the rig in $STATE"
  stop_services glance-api keystone
  rm -f "$RUN/watchdog.pid"
  if [[ $4 == 1 && -f $STATE/$MARKER ]]; then rm -rf -- "$STATE"; fi
}

case ${1:-} in
  install) cmd_install;;
  up) cmd_up;;
  down) cmd_down;;
  restart) shift; cmd_restart "$@";;
  status) cmd_status;;
  _watch) shift; cmd_watch "$@";;
  *) echo "usage: bash dev/rig/openstack.sh install|up|down|restart keystone|glance|status" >&2; exit 2;;
esac
