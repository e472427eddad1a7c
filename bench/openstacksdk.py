#!/usr/bin/python3
"""The openstacksdk baseline of `npm run bench` (bench/main.ts): one process, plain loops.

Run with Debian's interpreter (/usr/bin/python3: python3-openstacksdk lives in its dist-packages).
The clouds.yaml comes from OS_CLIENT_CONFIG_FILE (never argv: it holds a password). The job and the
phase commands come on stdin, one JSON value per line; each answer is one JSON line on stdout:

  -> {"cloud": "producer", "image": "<image id>", "members": ["<project id>", ...]}
  <- {"phase": "connect", "seconds": s, "import_seconds": s, "openstacksdk": "0.101.0"}
  -> "create"    <- {"phase": "create",  "seconds": s}   conn.image.add_member(image, member_id=m) per member
  -> "refresh"   <- {"phase": "refresh", "seconds": s}   conn.image.get_member(m, image) per member
  -> "delete"    <- {"phase": "delete",  "seconds": s}   conn.image.remove_member(m, image) per member
  -> "quit"

The caller snapshots its request counters between phases, so each phase's requests are known.
An error answers {"phase": ..., "error": "..."} and ends the process.
"""
import json
import sys
import time

t_import = time.perf_counter()
import openstack  # noqa: E402

import_seconds = time.perf_counter() - t_import


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    job = json.loads(sys.stdin.readline())
    image, members = job["image"], job["members"]
    phase = "connect"
    try:
        t0 = time.perf_counter()
        conn = openstack.connect(cloud=job["cloud"])
        conn.image.get_endpoint()  # authenticates and discovers the image API version
        say({"phase": phase, "seconds": time.perf_counter() - t0, "import_seconds": import_seconds,
             "openstacksdk": openstack.version.__version__})
        for line in sys.stdin:
            phase = json.loads(line)
            if phase == "quit":
                return
            t0 = time.perf_counter()
            if phase == "create":
                for m in members:
                    conn.image.add_member(image, member_id=m)
            elif phase == "refresh":
                for m in members:
                    conn.image.get_member(m, image)
            elif phase == "delete":
                for m in members:
                    conn.image.remove_member(m, image, ignore_missing=False)
            else:
                raise ValueError("unknown phase %r" % (phase,))
            say({"phase": phase, "seconds": time.perf_counter() - t0})
    except Exception as e:  # report, never print credentials (exceptions carry URLs and statuses only)
        say({"phase": phase, "error": "%s: %s" % (type(e).__name__, str(e)[:300])})
        sys.exit(1)


main()
