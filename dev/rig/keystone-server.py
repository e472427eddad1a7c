"""Serve Keystone's public WSGI app on a loopback port, one thread per request.

Usage: /usr/bin/python3 dev/rig/keystone-server.py STATE_DIR HOST PORT

python3-keystone's own `keystone-wsgi-public --host --port` is a single-threaded wsgiref server;
this is the same app (keystone.server.wsgi.initialize_public_application) behind a threaded one.
STATE_DIR is an argument (not only an environment variable) so that `openstack.sh down` can see in
/proc/PID/cmdline that this process belongs to that state dir before it signals it.
"""
import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

state, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
# the WSGI app reads $OS_KEYSTONE_CONFIG_DIR/$OS_KEYSTONE_CONFIG_FILES
os.environ["OS_KEYSTONE_CONFIG_DIR"] = state
os.environ["OS_KEYSTONE_CONFIG_FILES"] = "keystone.conf"
# keystone parses sys.argv with oslo.config and dies on our arguments: hide them
del sys.argv[1:]

from keystone.server.wsgi import initialize_public_application  # noqa: E402  (after argv fix)


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True  # `restart keystone` binds the same port again at once


class Handler(WSGIRequestHandler):
    def log_message(self, fmt, *args):  # access log on stderr (redirected to log/keystone-access.log)
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
        sys.stderr.flush()


app = initialize_public_application()
httpd = make_server(host, port, app, server_class=Server, handler_class=Handler)
sys.stderr.write("keystone listening on http://%s:%d\n" % (host, port))
sys.stderr.flush()
httpd.serve_forever()
