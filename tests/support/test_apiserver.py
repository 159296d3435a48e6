#!/usr/bin/env python3
"""A small HTTPS stand-in for kube-apiserver, for the fast test tier.

It authenticates like kube-apiserver (client certificates signed by the test
CA: user = CN, groups = O; or bearer tokens; nothing = anonymous), authorizes
from a table the test sets, and validates requests the way the real server
does (facts measured on kube-apiserver v1.20.2, see DESIGN.md; the first three
are held against a real one by tests/support/apiserver_facts.h):
  - PATCH only as application/merge-patch+json here, anything else 415: as
    the real server answers plain JSON, and a strategic merge patch of a
    CiliumNode; stricter than it for JSON Patch (and apply patches) of a
    CiliumNode and a strategic merge patch of an Event, which it takes and the
    product never sends,
  - label values must be strings (422),
  - Node Events live in namespace default (elsewhere: 422),
  - 429 comes as text/plain with Retry-After (cannot be brought about on a
    real server on demand: not held against one),
  - no credentials: 403 (anonymous), a bad token: 401.
It records every request and injects faults on demand.

Control (HTTPS, same port, header "Authorization: Bearer admin"):
  GET  /_test/requests          -> [{"method","path","content_type","body","user",
                                     "client_port","cert_serial",
                                     "fault" (the fault applied to it, or null),
                                     "in_flight" (true until its handling ends, e.g.
                                                  while a "delay" fault holds it)}]
  POST /_test/reset             -> forget requests, faults
  POST /_test/faults            {"count":N,"status":500|429,"retry_after":S,
                                  "delay":S,"reset":true,
                                  "huge_body":BYTES,        (a 200 with Content-Length BYTES)
                                  "endless_body":true, "chunk":BYTES, "pause":S}
                                                            (a chunked 200 that never ends: CHUNK
                                                             bytes every S seconds)
                                (applied to the next N API requests)
  POST /_test/allow             {"user":U,"verb":"patch","resource":"ciliumnodes"} (or "*")
  POST /_test/deny              same shape: remove a grant
  POST /_test/objects           {"ciliumnodes":[names],"nodes":{name:uid}}  (ADDED to watchers)
  POST /_test/labels            {"name":N,"labels":{k:v|null}}  (another client changes labels:
                                                                  MODIFIED to watchers)
  POST /_test/delete            {"name":N}                      (the CiliumNode is deleted)
  POST /_test/end_watches       (every open watch ends as at its timeout; clients resume)
  POST /_test/compact           (history dropped: resuming an older version gets 410 Gone)
  POST /_test/watch_faults      {"count":N,"kind":"cut"|"garbage"|"huge"|"other_object"|"gone"|
                                  "error500"|"hang"}  (applied to the next N watch requests)
  POST /_test/tokens            {"token":T,"user":U,"groups":[G...]} (a bearer token for U,
                                 e.g. a service account's)
  POST /_test/crd               {"installed":false} (the cilium.io group is not served: a
                                 plain-text 404, as without Cilium) or true
CiliumNodes can be listed and watched (GET ciliumnodes?fieldSelector=metadata.name=N, with
watch=1&resourceVersion=RV&timeoutSeconds=S&allowWatchBookmarks=true), with list/watch grants,
resource versions, a replayable history, and a BOOKMARK every --bookmark-interval seconds.
  GET  /_test/state             -> {"ciliumnodes":{name:{labels}},"events":{name:event}}

usage: test_apiserver.py --pki DIR --port-file FILE [--cert server] [--port N] [--lifetime S]
"""
import argparse
import json
import os
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {
    "requests": [],
    "faults": [],
    "grants": set(),
    "tokens": {"node1-token": ("system:node:node1", ["system:nodes"])},
    "ciliumnodes": {},
    "nodes": {},
    "events": {},
    "rv": 1,                 # the latest resourceVersion
    "history": [],           # (rv, type, name, labels) since the last compaction
    "compacted_at": 1,       # versions at or below this are gone
    "watch_faults": [],
    "watch_epoch": 0,        # bumped to end every open watch (the client then resumes)
    "crd": True,             # the CiliumNode type is served (False: as without Cilium)
}
CHANGED = threading.Condition(LOCK)
BOOKMARK_INTERVAL = 60.0


def ciliumnode_object(name, labels, rv):
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNode",
            "metadata": {"name": name, "resourceVersion": str(rv), "labels": dict(labels)},
            "spec": {}}


def record_change(kind, name):
    """Under LOCK: bump the version, remember the change, wake watchers."""
    STATE["rv"] += 1
    labels = STATE["ciliumnodes"].get(name, {})
    STATE["history"].append((STATE["rv"], kind, name, dict(labels)))
    CHANGED.notify_all()


def status_body(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details is not None:
        body["details"] = details
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections

    def log_message(self, *args):
        pass

    # -- plumbing --------------------------------------------------------
    def reply(self, code, obj=None, content_type="application/json", headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def stream_body(self, total=None, chunk=65536, pause=0.0):
        """A 200 whose body is `total` bytes (Content-Length), or endless
        (chunked) when total is None, until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if total is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        self.close_connection = True
        block = b" " * chunk
        sent = 0
        try:
            while total is None or sent < total:
                piece = block if total is None else block[:min(chunk, total - sent)]
                if total is None:
                    self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                sent += len(piece)
                if pause:
                    time.sleep(pause)
        except (OSError, ssl.SSLError):
            pass  # the client hung up, as it should

    def fail(self, code, reason, message, details=None):
        self.reply(code, status_body(code, reason, message, details))

    def not_found(self, resource, group, name):
        """kube-apiserver's 404 for a missing object of a type it serves: the
        Status names it in details."""
        qualified = f"{resource}.{group}" if group else resource
        details = {"name": name, "kind": resource}
        if group:
            details["group"] = group
        return self.fail(404, "NotFound", f'{qualified} "{name}" not found', details)

    def identity(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer "):]
            if token == "admin":
                return ("admin", [])
            if token in STATE["tokens"]:
                return STATE["tokens"][token]
            return None  # bad token -> 401
        cert = self.connection.getpeercert()
        if cert:
            subject = dict(x[0] for x in cert.get("subject", ()))
            groups = [v for rdn in cert.get("subject", ()) for (k, v) in rdn
                      if k == "organizationName"]
            return (subject.get("commonName", ""), groups)
        return ("system:anonymous", ["system:unauthenticated"])

    def body_json(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(length) if length else b""
        return raw

    def allowed(self, user, verb, resource):
        g = STATE["grants"]
        return (user, verb, resource) in g or (user, "*", resource) in g or (user, "*", "*") in g

    # -- dispatch --------------------------------------------------------
    requests_record = None

    def handle_any(self, method):
        raw = self.body_json()
        who = self.identity()
        if self.path.startswith("/_test/"):
            if not who or who[0] != "admin":
                return self.fail(403, "Forbidden", "admin only")
            return self.control(method, raw)
        cert = self.connection.getpeercert()
        with LOCK:
            fault = STATE["faults"].pop(0) if STATE["faults"] else None
            record = {
                "method": method, "path": self.path,
                "content_type": self.headers.get("Content-Type", ""),
                "body": raw.decode(errors="replace"),
                "user": who[0] if who else None,
                "client_port": self.client_address[1],
                "cert_serial": cert.get("serialNumber") if cert else None,
                "fault": fault,
                "in_flight": True,
            }
            STATE["requests"].append(record)
        self.requests_record = record
        try:
            return self.answer(method, raw, who, fault)
        finally:
            with LOCK:
                record["in_flight"] = False

    def answer(self, method, raw, who, fault):
        if fault:
            if fault.get("delay"):
                time.sleep(fault["delay"])
            if fault.get("reset"):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.close()
                self.close_connection = True
                return
            if fault.get("huge_body"):
                return self.stream_body(total=int(fault["huge_body"]))
            if fault.get("endless_body"):
                return self.stream_body(chunk=int(fault.get("chunk", 65536)),
                                        pause=float(fault.get("pause", 0)))
            if fault.get("status") == 429:
                return self.reply(429, raw=b"Too many requests, please try again later.\n",
                                  content_type="text/plain; charset=utf-8",
                                  headers={"Retry-After": str(fault.get("retry_after", 1))})
            if fault.get("status"):
                return self.fail(fault["status"], "InternalError", "injected failure")
        if who is None:
            return self.reply(401, status_body(401, "Unauthorized", "Unauthorized"))
        return self.api(method, raw, who[0])

    def api(self, method, raw, user):
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["apis", "cilium.io"] and not STATE["crd"]:
            # No CRD: kube-apiserver serves no such group (its plain-text 404).
            return self.reply(404, raw=b"404 page not found\n",
                              content_type="text/plain; charset=utf-8")
        if parts[:3] == ["apis", "cilium.io", "v2"] and len(parts) == 4 and parts[3] == "ciliumnodes":
            return self.list_or_watch(method, user)
        if parts[:3] == ["apis", "cilium.io", "v2"] and len(parts) == 5 and parts[3] == "ciliumnodes":
            name = parts[4]
            verb = {"PATCH": "patch", "GET": "get"}.get(method, method.lower())
            if not self.allowed(user, verb, "ciliumnodes"):
                return self.fail(403, "Forbidden",
                                 f'ciliumnodes.cilium.io "{name}" is forbidden: User "{user}" cannot '
                                 f'{verb} resource "ciliumnodes" in API group "cilium.io" at the '
                                 f'cluster scope')
            if method == "GET":
                with LOCK:
                    if name not in STATE["ciliumnodes"]:
                        return self.not_found("ciliumnodes", "cilium.io", name)
                    obj = ciliumnode_object(name, STATE["ciliumnodes"][name], STATE["rv"])
                return self.reply(200, obj)
            if method != "PATCH":
                return self.fail(405, "MethodNotAllowed", "only GET and PATCH here")
            if self.headers.get("Content-Type") != "application/merge-patch+json":
                return self.fail(415, "UnsupportedMediaType",
                                 f'the body of the request was in an unknown format - accepted '
                                 f'media types include: application/merge-patch+json')
            if name not in STATE["ciliumnodes"]:
                return self.not_found("ciliumnodes", "cilium.io", name)
            try:
                patch = json.loads(raw)
            except ValueError:
                return self.fail(400, "BadRequest", "invalid JSON")
            labels = (patch.get("metadata") or {}).get("labels") or {}
            for k, v in labels.items():
                if v is not None and not isinstance(v, str):
                    return self.fail(422, "Invalid",
                                     f'CiliumNode.cilium.io "{name}" is invalid: metadata.labels: '
                                     f'Invalid value: {json.dumps(v)}: must be a string')
            with LOCK:
                current = STATE["ciliumnodes"][name]
                for k, v in labels.items():
                    if v is None:
                        current.pop(k, None)
                    else:
                        current[k] = v
                record_change("MODIFIED", name)
                obj = ciliumnode_object(name, current, STATE["rv"])
            return self.reply(200, obj)
        if parts[:2] == ["api", "v1"] and len(parts) == 4 and parts[2] == "nodes" and method == "GET":
            name = parts[3]
            if not self.allowed(user, "get", "nodes"):
                return self.fail(403, "Forbidden", f'nodes "{name}" is forbidden: User "{user}" '
                                 f'cannot get resource "nodes" in API group "" at the cluster scope')
            if name not in STATE["nodes"]:
                return self.not_found("nodes", "", name)
            return self.reply(200, {"kind": "Node", "metadata": {"name": name,
                                                                  "uid": STATE["nodes"][name]}})
        if parts[:3] == ["api", "v1", "namespaces"] and len(parts) >= 5 and parts[4] == "events":
            ns = parts[3]
            verb = {"POST": "create", "PATCH": "patch"}.get(method, method.lower())
            if not self.allowed(user, verb, "events"):
                return self.fail(403, "Forbidden", f'events is forbidden: User "{user}" cannot '
                                 f'{verb} resource "events" in API group "" in the namespace "{ns}"')
            if method == "POST" and len(parts) == 5:
                try:
                    event = json.loads(raw)
                except ValueError:
                    return self.fail(400, "BadRequest", "invalid JSON")
                meta = event.get("metadata", {})
                obj = event.get("involvedObject", {})
                if meta.get("namespace", ns) != ns:
                    return self.fail(400, "BadRequest", "the namespace of the object does not "
                                     "match the namespace on the request")
                if obj.get("kind") == "Node" and ns != "default":
                    return self.fail(422, "Invalid", "Event is invalid: involvedObject.namespace: "
                                     "Invalid value: does not match event.namespace")
                name = meta.get("name")
                with LOCK:
                    if name in STATE["events"]:
                        return self.fail(409, "AlreadyExists", f'events "{name}" already exists')
                    STATE["events"][name] = event
                return self.reply(201, event)
            if method == "PATCH" and len(parts) == 6:
                name = parts[5]
                if self.headers.get("Content-Type") != "application/merge-patch+json":
                    return self.fail(415, "UnsupportedMediaType", "unsupported media type")
                with LOCK:
                    if name not in STATE["events"]:
                        return self.not_found("events", "", name)
                    STATE["events"][name].update(json.loads(raw))
                    return self.reply(200, STATE["events"][name])
        return self.fail(404, "NotFound", "the server could not find the requested resource")

    def list_or_watch(self, method, user):
        from urllib.parse import parse_qs, urlsplit
        query = parse_qs(urlsplit(self.path).query)
        watch = query.get("watch", [""])[0] in ("1", "true")
        verb = "watch" if watch else "list"
        if method != "GET":
            return self.fail(405, "MethodNotAllowed", "only GET here")
        if not self.allowed(user, verb, "ciliumnodes"):
            return self.fail(403, "Forbidden",
                             f'ciliumnodes.cilium.io is forbidden: User "{user}" cannot {verb} '
                             f'resource "ciliumnodes" in API group "cilium.io" at the cluster scope')
        selector = query.get("fieldSelector", [""])[0]
        name = selector[len("metadata.name="):] if selector.startswith("metadata.name=") else None
        if not watch:
            with LOCK:
                items = [ciliumnode_object(n, l, STATE["rv"])
                         for n, l in sorted(STATE["ciliumnodes"].items())
                         if name is None or n == name]
                return self.reply(200, {"apiVersion": "cilium.io/v2", "kind": "CiliumNodeList",
                                        "metadata": {"resourceVersion": str(STATE["rv"])},
                                        "items": items})
        return self.watch(name, query)

    def watch(self, name, query):
        try:
            since = int(query.get("resourceVersion", ["0"])[0] or 0)
        except ValueError:
            return self.fail(400, "BadRequest", "bad resourceVersion")
        timeout = float(query.get("timeoutSeconds", ["1800"])[0])
        bookmarks = query.get("allowWatchBookmarks", [""])[0] == "true"
        with LOCK:
            fault = STATE["watch_faults"].pop(0) if STATE["watch_faults"] else None
            if self.requests_record is not None:
                self.requests_record["watch_fault"] = fault
        kind = (fault or {}).get("kind")
        if kind == "hang":
            time.sleep(float(fault.get("seconds", 600)))
            return
        if kind == "error500":
            return self.fail(500, "InternalError", "injected failure")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True

        def send_line(obj=None, raw=None):
            data = raw if raw is not None else (json.dumps(obj) + "\n").encode()
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
            self.wfile.flush()

        try:
            if kind == "cut":
                time.sleep(0.2)
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if kind == "garbage":
                send_line(raw=b"this is not json\n")
            elif kind == "huge":
                send_line(raw=b"{" + b" " * (5 * 1024 * 1024))
            elif kind == "other_object":
                send_line({"type": "ADDED", "object": ciliumnode_object("intruder", {}, 999999)})
            elif kind == "gone":
                send_line({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                                                       "status": "Failure", "reason": "Expired",
                                                       "code": 410,
                                                       "message": "too old resource version"}})
            if kind:
                time.sleep(2)
                send_line(raw=b"")  # the last chunk: the stream ends (if still open)
                return
            with LOCK:
                if since and since < STATE["compacted_at"]:
                    gone = True
                else:
                    gone = False
            if gone:
                send_line({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                                                       "status": "Failure", "reason": "Expired",
                                                       "code": 410,
                                                       "message": "too old resource version"}})
                self.wfile.write(b"0\r\n\r\n")
                return
            with LOCK:
                epoch = STATE["watch_epoch"]
            deadline = time.monotonic() + timeout
            next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
            seen = since
            while time.monotonic() < deadline:
                with LOCK:
                    if STATE["watch_epoch"] != epoch:
                        break
                    pending = [h for h in STATE["history"] if h[0] > seen]
                    if not pending:
                        CHANGED.wait(timeout=min(0.5, max(0.0, deadline - time.monotonic())))
                        pending = [h for h in STATE["history"] if h[0] > seen]
                    rv_now = STATE["rv"]
                for rv, change, obj_name, labels in pending:
                    seen = rv
                    if name is not None and obj_name != name:
                        continue
                    send_line({"type": change, "object": ciliumnode_object(obj_name, labels, rv)})
                if bookmarks and time.monotonic() >= next_bookmark:
                    next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
                    send_line({"type": "BOOKMARK", "object": {
                        "kind": "CiliumNode", "apiVersion": "cilium.io/v2",
                        "metadata": {"resourceVersion": str(max(seen, rv_now))}}})
            self.wfile.write(b"0\r\n\r\n")
        except (OSError, ssl.SSLError):
            pass  # the client hung up

    def control(self, method, raw):
        data = json.loads(raw) if raw else {}
        with LOCK:
            if self.path == "/_test/requests":
                return self.reply(200, STATE["requests"])
            if self.path == "/_test/state":
                return self.reply(200, {"ciliumnodes": STATE["ciliumnodes"],
                                        "events": STATE["events"]})
            if self.path == "/_test/reset":
                STATE["requests"].clear()
                STATE["faults"].clear()
                STATE["watch_faults"].clear()
                return self.reply(200, {})
            if self.path == "/_test/faults":
                STATE["faults"].extend([data] * int(data.get("count", 1)))
                return self.reply(200, {})
            if self.path in ("/_test/allow", "/_test/deny"):
                grant = (data["user"], data.get("verb", "*"), data.get("resource", "*"))
                if self.path.endswith("allow"):
                    STATE["grants"].add(grant)
                else:
                    STATE["grants"].discard(grant)
                return self.reply(200, {})
            if self.path == "/_test/tokens":
                STATE["tokens"][data["token"]] = (data["user"], data.get("groups", []))
                return self.reply(200, {})
            if self.path == "/_test/objects":
                for n in data.get("ciliumnodes", []):
                    if n not in STATE["ciliumnodes"]:
                        STATE["ciliumnodes"][n] = {}
                        record_change("ADDED", n)
                STATE["nodes"].update(data.get("nodes", {}))
                return self.reply(200, {})
            if self.path == "/_test/labels":
                n = data["name"]
                if n not in STATE["ciliumnodes"]:
                    return self.fail(404, "NotFound", "no such ciliumnode")
                for k, v in data.get("labels", {}).items():
                    if v is None:
                        STATE["ciliumnodes"][n].pop(k, None)
                    else:
                        STATE["ciliumnodes"][n][k] = v
                record_change("MODIFIED", n)
                return self.reply(200, {})
            if self.path == "/_test/delete":
                n = data["name"]
                if n in STATE["ciliumnodes"]:
                    record_change("DELETED", n)
                    del STATE["ciliumnodes"][n]
                return self.reply(200, {})
            if self.path == "/_test/end_watches":
                STATE["watch_epoch"] += 1
                CHANGED.notify_all()
                return self.reply(200, {})
            if self.path == "/_test/compact":
                # Like etcd compacting at a new revision: every version a
                # client holds now is too old to resume from.
                STATE["rv"] += 1
                STATE["compacted_at"] = STATE["rv"]
                STATE["history"].clear()
                return self.reply(200, {})
            if self.path == "/_test/crd":
                STATE["crd"] = bool(data.get("installed", True))
                return self.reply(200, {})
            if self.path == "/_test/watch_faults":
                STATE["watch_faults"].extend([data] * int(data.get("count", 1)))
                return self.reply(200, {})
        return self.fail(404, "NotFound", "no such control endpoint")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pki", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert", default="server", help="server certificate name in --pki")
    p.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    p.add_argument("--bookmark-interval", type=float, default=60,
                   help="seconds between BOOKMARK events on a watch")
    p.add_argument("--lifetime", type=float, default=600,
                   help="stop after this many seconds (0: never; for a parent that kills it)")
    args = p.parse_args()
    global BOOKMARK_INTERVAL
    BOOKMARK_INTERVAL = args.bookmark_interval
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.pki, args.cert + ".crt"),
                        os.path.join(args.pki, args.cert + ".key"))
    ctx.load_verify_locations(os.path.join(args.pki, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    # Stops by itself unless told otherwise: a test server must never outlive
    # its test by long. (The C++ harness kills it with its parent instead.)
    if args.lifetime > 0:
        threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
