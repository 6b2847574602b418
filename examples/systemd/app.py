# /srv/web/app.py for reuseport-web@.service: a WSGI app (gunicorn app:app)
# that answers with the pid of its gunicorn master, so that a client sees
# which instance served it.
import os


def app(environ, start_response):
    body = ("served by gunicorn master %d\n" % os.getppid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
