"""Provision a fresh local Keystone for the test rig, then write clouds.yaml, ids.json and env.

Called by `dev/rig/openstack.sh up` once keystone answers. Plain REST with urllib: the openstack
CLI costs ~0.9 s per call, this whole step takes ~0.5 s. Inputs come from the environment (never
argv: /proc/PID/cmdline is world-readable and these include passwords):
  STATE, KS_URL, GL_URL, ADMIN_PASSWORD, USER_PASSWORD, GLANCE_SERVICE_PASSWORD,
  GLANCE_SECURE_RBAC, KEYSTONE_SECURE_RBAC
Creates: service `glance` (type image) with public/internal/admin endpoints in RegionOne; project
`service` + user `glance` (role admin, used by glance's keystonemiddleware); projects `producer`,
`consumer`, `outsider`, each with a user `<project>-user` holding role `member` (implies `reader`).
Ends with an end-to-end check: a producer token is accepted by glance.
"""
import json
import os
import shlex
import urllib.error
import urllib.request

E = os.environ
KS, GL, STATE = E["KS_URL"], E["GL_URL"], E["STATE"]
REGION = "RegionOne"
PROJECTS = ("producer", "consumer", "outsider")


def call(method, url, body=None, token=None):
    req = urllib.request.Request(url, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return r, (json.loads(data) if data else None)
    except urllib.error.HTTPError as e:  # say which call failed; never echo the request body
        raise SystemExit("%s %s -> %d %s" % (method, url.split("?")[0], e.code,
                                             e.read()[:300].decode(errors="replace")))


def password_token(user, password, project):
    r, body = call("POST", KS + "/v3/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}})
    return r.headers["X-Subject-Token"], body["token"]


tok, admin = password_token("admin", E["ADMIN_PASSWORD"], "admin")
roles = {r["name"]: r["id"] for r in call("GET", KS + "/v3/roles", token=tok)[1]["roles"]}
svc = call("POST", KS + "/v3/services", {"service": {
    "name": "glance", "type": "image", "description": "Image service"}}, tok)[1]["service"]
for iface in ("public", "internal", "admin"):
    call("POST", KS + "/v3/endpoints", {"endpoint": {
        "service_id": svc["id"], "interface": iface, "url": GL, "region_id": REGION}}, tok)


def project_with_user(project, user, password, role):
    p = call("POST", KS + "/v3/projects", {"project": {
        "name": project, "domain_id": "default", "description": "test rig: " + project}}, tok)[1]["project"]
    u = call("POST", KS + "/v3/users", {"user": {
        "name": user, "domain_id": "default", "password": password,
        "default_project_id": p["id"]}}, tok)[1]["user"]
    call("PUT", "%s/v3/projects/%s/users/%s/roles/%s" % (KS, p["id"], u["id"], roles[role]), token=tok)
    return p["id"], u["id"]


projects = {"admin": admin["project"]["id"]}
users = {"admin": admin["user"]["id"]}
usernames = {"admin": "admin"}
projects["service"], users["glance"] = project_with_user(
    "service", "glance", E["GLANCE_SERVICE_PASSWORD"], "admin")
for name in PROJECTS:
    # role `member` implies `reader` (keystone-manage bootstrap creates that implied-role rule);
    # secure RBAC needs `member` for writes
    usernames[name] = name + "-user"
    projects[name], users[name] = project_with_user(name, usernames[name], E["USER_PASSWORD"], "member")

# end to end: a producer token is accepted by glance (glance -> keystonemiddleware -> keystone)
ptok, _ = password_token(usernames["producer"], E["USER_PASSWORD"], "producer")
call("GET", GL + "/v2/images?limit=1", token=ptok)

old_umask = os.umask(0o077)  # these files hold passwords
ids = {"keystone_url": KS, "glance_url": GL, "auth_url": KS + "/v3", "region": REGION,
       "projects": projects, "users": users, "usernames": usernames,
       "image_service_id": svc["id"],
       "glance_secure_rbac": E["GLANCE_SECURE_RBAC"], "keystone_secure_rbac": E["KEYSTONE_SECURE_RBAC"]}
with open(os.path.join(STATE, "ids.json"), "w") as f:
    json.dump(ids, f, indent=1)
    f.write("\n")

# clouds.yaml. JSON string literals are valid YAML double-quoted scalars: no YAML library needed.
q = json.dumps
lines = ["# written by dev/rig/openstack.sh up (state dir %s)" % STATE, "clouds:"]
for name in PROJECTS + ("admin",):
    lines += ["  %s:" % name,
              "    auth:",
              "      auth_url: %s" % q(KS + "/v3"),
              "      username: %s" % q(usernames[name]),
              "      password: %s" % q(E["ADMIN_PASSWORD"] if name == "admin" else E["USER_PASSWORD"]),
              "      project_name: %s" % q(name),
              "      user_domain_name: \"Default\"",
              "      user_domain_id: \"default\"",
              "      project_domain_name: \"Default\"",
              "      project_domain_id: \"default\"",
              "    region_name: %s" % q(REGION),
              "    interface: \"public\"",
              "    identity_api_version: 3"]
with open(os.path.join(STATE, "clouds.yaml"), "w") as f:
    f.write("\n".join(lines) + "\n")

# env: sourceable, no passwords (they are in clouds.yaml)
env = [("OS_CLIENT_CONFIG_FILE", os.path.join(STATE, "clouds.yaml")), ("OS_CLOUD", "admin"),
       ("KEYSTONE_URL", KS), ("GLANCE_URL", GL),
       ("GLANCE_SECURE_RBAC", E["GLANCE_SECURE_RBAC"]), ("KEYSTONE_SECURE_RBAC", E["KEYSTONE_SECURE_RBAC"])]
env += [("%s_PROJECT_ID" % k.upper(), v) for k, v in projects.items()]
env += [("%s_USER_ID" % k.upper(), v) for k, v in users.items()]
with open(os.path.join(STATE, "env"), "w") as f:
    f.writelines("export %s=%s\n" % (k, shlex.quote(v)) for k, v in env)
os.umask(old_umask)
