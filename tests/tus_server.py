#!/usr/bin/env python3
"""A minimal, faithful tus 1.0.0 server for the upload tests (standard library only).

Core, creation, termination, checksum (sha256 and sha1) and expiration, uploads kept in a folder
(so a restarted server knows them), and fault injection on the Nth PATCH:

  python3 tests/tus_server.py --dir DIR [--fault KIND@N ...] [--retry-after VALUE]
                              [--stall SECONDS] [--no-checksum] [--max-size BYTES]
                              [--expire-existing] [--require-checksum]
                              [--tls-cert PEM --tls-key PEM [--client-ca PEM]]

KIND: 429 (with Retry-After), 503 (with Retry-After), 500, drop (half the body stored, then the
connection closed), stall (half the body stored, then silence for --stall seconds), 409 (an
offset mismatch), 460 (a checksum mismatch), forget (the upload deleted: 404), 400.
--retry-after: "N" seconds, or "date+N" for an HTTP-date N seconds ahead (default 1).
--expire-existing: every upload already in DIR has expired (410), as after a long pause.
--require-checksum: a PATCH without Upload-Checksum gets 400 (the client must send them).
--tls-cert, --tls-key: HTTPS; --client-ca: and a client certificate from that CA (mutual TLS).

Listens on 127.0.0.1, port 0; prints the port on the first line of stdout. The uploads are
DIR/<id>.bin with DIR/<id>.json (length, offset, metadata, created).
"""
import argparse
import base64
import email.utils
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXTENSIONS = "creation,termination,checksum,expiration"
EXPIRES_IN = 24 * 3600


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.patches = 0
        self.faults = {}
        for f in args.fault:
            kind, _, nth = f.partition("@")
            self.faults[int(nth or "1")] = kind
        self.expired = set()
        if args.expire_existing:
            self.expired = {n[:-5] for n in os.listdir(args.dir) if n.endswith(".json")}

    def next_fault(self):
        with self.lock:
            self.patches += 1
            return self.faults.get(self.patches)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tus-test/1"

    def log_message(self, fmt, *args):  # quiet: the C test reads stdout
        pass

    # ---- helpers
    @property
    def st(self):
        return self.server.state

    def reply(self, code, headers=None, body=b""):
        self.send_response(code)
        self.send_header("Tus-Resumable", "1.0.0")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def upload_id(self):
        path = self.path.split("?")[0]
        if not path.startswith("/files/"):
            return None
        uid = path[len("/files/"):]
        return uid if uid and all(c in "0123456789abcdef" for c in uid) else None

    def paths(self, uid):
        d = self.st.args.dir
        return os.path.join(d, uid + ".json"), os.path.join(d, uid + ".bin")

    def load(self, uid):
        """The upload's info, or an HTTP status: 404 unknown, 410 expired."""
        info_path, _ = self.paths(uid)
        if uid in self.st.expired or (os.path.exists(info_path) and self.expired(info_path)):
            self.remove(uid)
            return 410
        try:
            with open(info_path) as f:
                return json.load(f)
        except FileNotFoundError:
            return 404

    def expired(self, info_path):
        with open(info_path) as f:
            return json.load(f)["created"] + EXPIRES_IN < time.time()

    def save(self, uid, info):
        info_path, _ = self.paths(uid)
        with open(info_path + ".tmp", "w") as f:
            json.dump(info, f)
        os.replace(info_path + ".tmp", info_path)

    def remove(self, uid):
        for p in self.paths(uid):
            try:
                os.remove(p)
            except FileNotFoundError:
                pass

    def expires(self, info):
        return email.utils.formatdate(info["created"] + EXPIRES_IN, usegmt=True)

    def read_body(self, length, limit=None):
        """Reads length bytes (stops at limit); None when the client went away."""
        want = length if limit is None else min(length, limit)
        data = b""
        while len(data) < want:
            part = self.rfile.read(min(65536, want - len(data)))
            if not part:
                return None
            data += part
        return data

    def tus_ok(self):
        if self.headers.get("Tus-Resumable") != "1.0.0":
            self.reply(412, {"Tus-Version": "1.0.0"})
            return False
        return True

    # ---- methods
    def do_OPTIONS(self):
        h = {"Tus-Version": "1.0.0", "Tus-Max-Size": self.st.args.max_size}
        h["Tus-Extension"] = EXTENSIONS if not self.st.args.no_checksum else "creation,termination,expiration"
        if not self.st.args.no_checksum:
            h["Tus-Checksum-Algorithm"] = "sha1,sha256"
        self.reply(204, h)

    def do_POST(self):
        if not self.tus_ok():
            return
        body_len = int(self.headers.get("Content-Length", "0") or 0)
        if body_len:
            self.read_body(body_len)
        try:
            length = int(self.headers["Upload-Length"])
        except (KeyError, TypeError, ValueError):
            return self.reply(400)
        if length < 0:
            return self.reply(400)
        if length > self.st.args.max_size:
            return self.reply(413)
        meta = {}
        for pair in (self.headers.get("Upload-Metadata") or "").split(","):
            if pair.strip():
                key, _, value = pair.strip().partition(" ")
                meta[key] = base64.b64decode(value).decode() if value else ""
        uid = uuid.uuid4().hex
        info = {"length": length, "offset": 0, "metadata": meta, "created": time.time()}
        open(self.paths(uid)[1], "wb").close()
        self.save(uid, info)
        self.reply(201, {"Location": "/files/" + uid, "Upload-Expires": self.expires(info)})

    def do_HEAD(self):
        if not self.tus_ok():
            return
        uid = self.upload_id()
        info = self.load(uid) if uid else 404
        if isinstance(info, int):
            return self.reply(info)
        self.reply(200, {"Upload-Offset": info["offset"], "Upload-Length": info["length"],
                         "Cache-Control": "no-store", "Upload-Expires": self.expires(info)})

    def do_DELETE(self):
        if not self.tus_ok():
            return
        uid = self.upload_id()
        info = self.load(uid) if uid else 404
        if isinstance(info, int):
            return self.reply(info)
        self.remove(uid)
        self.reply(204)

    def append(self, uid, info, data):
        with open(self.paths(uid)[1], "r+b") as f:
            f.seek(info["offset"])
            f.write(data)
            f.truncate()
        info["offset"] += len(data)
        self.save(uid, info)

    def do_PATCH(self):
        if not self.tus_ok():
            return
        fault = self.st.next_fault()
        uid = self.upload_id()
        length = int(self.headers.get("Content-Length", "0") or 0)
        if fault in ("drop", "stall"):
            return self.cut(uid, length, fault)
        body = self.read_body(length)
        if body is None:
            return
        if fault in ("429", "503"):
            return self.reply(int(fault), {"Retry-After": self.retry_after()})
        if fault in ("400", "409", "460", "500"):
            return self.reply(int(fault))
        if fault == "forget" and uid:
            self.remove(uid)
            return self.reply(404)
        self.patch(uid, body)

    def patch(self, uid, body):
        if self.headers.get("Content-Type") != "application/offset+octet-stream":
            return self.reply(415)
        with self.st.lock:
            info = self.load(uid) if uid else 404
            if isinstance(info, int):
                return self.reply(info)
            try:
                offset = int(self.headers["Upload-Offset"])
            except (KeyError, TypeError, ValueError):
                return self.reply(400)
            if offset != info["offset"]:
                return self.reply(409)
            if offset + len(body) > info["length"]:
                return self.reply(400)
            checksum = self.headers.get("Upload-Checksum")
            if not checksum and self.st.args.require_checksum:
                return self.reply(400)
            if checksum:
                alg, _, value = checksum.partition(" ")
                if alg not in ("sha1", "sha256"):
                    return self.reply(400)
                if base64.b64decode(value) != hashlib.new(alg, body).digest():
                    return self.reply(460)
            self.append(uid, info, body)
        self.reply(204, {"Upload-Offset": info["offset"], "Upload-Expires": self.expires(info)})

    def cut(self, uid, length, fault):
        """Stores the first half of the body (as a server does when a connection breaks), then
        drops the connection or goes silent."""
        half = self.read_body(length, length // 2) or b""
        with self.st.lock:
            info = self.load(uid) if uid else 404
            if not isinstance(info, int) and int(self.headers.get("Upload-Offset", -1)) == info["offset"]:
                self.append(uid, info, half)
        if fault == "stall":
            time.sleep(self.st.args.stall)
        self.close_connection = True
        # A reset, as a crashed proxy or a dropped route gives: linger 0 makes close() send RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def retry_after(self):
        value = self.st.args.retry_after
        if value.startswith("date+"):
            return email.utils.formatdate(time.time() + int(value[5:]), usegmt=True)
        return value


def watch_parent(parent):
    """Ends the server with the test that started it, even when the test crashed."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--retry-after", default="1")
    p.add_argument("--stall", type=float, default=3.0)
    p.add_argument("--no-checksum", action="store_true")
    p.add_argument("--max-size", type=int, default=1 << 30)
    p.add_argument("--expire-existing", action="store_true")
    p.add_argument("--require-checksum", action="store_true")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--client-ca")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.client_ca)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.state = State(args)
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
