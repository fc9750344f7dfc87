#!/usr/bin/env python3
"""A hostile network in front of a tus server, for the upload tests (standard library only).

A plain-HTTP/1.1 proxy on 127.0.0.1 that forwards every request and its response byte for byte
to the upstream server, except the ones a rule names:

  python3 tests/fault_proxy.py --upstream 127.0.0.1:PORT [--log FILE] [--fault RULE ...]

RULE is KIND@N[:KEY=VALUE,...]: the Nth request of the rule's method (PATCH unless method=
says otherwise: POST, HEAD, OPTIONS, DELETE, GET or ANY), counted from 1, gets the fault once.
KIND:
  429, 503, any other 3-digit status
           the request (body included) is read and not forwarded; the answer is that status
           with Tus-Resumable, and Retry-After when retry-after=VALUE is given ("N" seconds, or
           "date+N" for an HTTP-date N seconds ahead)
  drop     the headers and part of the body (at=FRACTION of Content-Length, default 0.5) go to
           the server, then both connections are cut: a reset to the client, a close upstream
  stall    as drop, but then nothing moves either way for seconds=S (default 5) before the cut

Prints the port it listens on as the first line of stdout. The log (--log FILE, else stderr)
has one JSON object a line, flushed at once: {"t": epoch seconds, "conn", "n" (requests),
"count" (of the request's method), "method", "path", "offset" (Upload-Offset), "length"
(Content-Length), "event": "request" | "fault" | "response" | "cut" | "close", "status",
"kind", "sent" (body bytes forwarded before a cut)}; so a test can check that a client waited
as it was told (the time between a fault and the next request).
"""
import argparse
import email.utils
import json
import os
import select
import socket
import socketserver
import struct
import sys
import threading
import time

from tus_server import watch_parent  # the proxy ends with the test that started it

METHODS = ("PATCH", "POST", "HEAD", "OPTIONS", "DELETE", "GET", "ANY")
LINE_MAX = 65536


class Rule:
    def __init__(self, text):
        head, _, params = text.partition(":")
        kind, _, nth = head.partition("@")
        self.kind = kind.lower()
        if not (self.kind in ("drop", "stall") or (self.kind.isdigit() and len(self.kind) == 3)):
            raise ValueError(f"{text}: the kind is drop, stall or an HTTP status")
        if not nth.isdigit() or int(nth) < 1:
            raise ValueError(f"{text}: @N must be a request number from 1")
        self.nth = int(nth)
        self.params = {}
        for p in filter(None, params.split(",")):
            key, eq, value = p.partition("=")
            if not eq:
                raise ValueError(f"{text}: {p} is not KEY=VALUE")
            self.params[key.strip()] = value.strip()
        self.method = self.params.get("method", "PATCH").upper()
        if self.method not in METHODS:
            raise ValueError(f"{text}: method must be one of {', '.join(METHODS)}")
        self.at = float(self.params.get("at", "0.5"))
        self.seconds = float(self.params.get("seconds", "5"))


class Proxy:
    def __init__(self, args):
        host, _, port = args.upstream.rpartition(":")
        self.upstream = (host or "127.0.0.1", int(port))
        self.rules = [Rule(r) for r in args.fault]
        self.lock = threading.Lock()
        self.counts = {m: 0 for m in METHODS}
        self.conns = 0
        self.out = open(args.log, "a", buffering=1) if args.log else sys.stderr

    def log(self, **event):
        event = {"t": round(time.time(), 3), **event}
        with self.lock:
            self.out.write(json.dumps(event) + "\n")
            self.out.flush()

    def count(self, method):
        """Counts a request; returns (its number, its number among its method, the rule)."""
        with self.lock:
            self.counts["ANY"] += 1
            m = method if method in self.counts else "ANY"
            if m != "ANY":
                self.counts[m] += 1
            rule = next((r for r in self.rules if r.method in (m, "ANY")
                         and r.nth == self.counts[r.method]), None)
            return self.counts["ANY"], self.counts[m], rule

    def next_conn(self):
        with self.lock:
            self.conns += 1
            return self.conns


class Message:
    """The head of an HTTP/1.1 message as read: its raw bytes (forwarded as they are) and the
    fields the proxy needs."""

    def __init__(self, raw, first, headers):
        self.raw = raw
        self.first = first
        self.headers = headers

    def header(self, name):
        return self.headers.get(name.lower())

    def chunked(self):
        return "chunked" in (self.header("transfer-encoding") or "").lower()

    def length(self):
        v = self.header("content-length")
        return int(v) if v is not None and v.strip().isdigit() else None


def read_head(rfile):
    """Reads a request or status line and its headers; None at a clean end of the stream."""
    raw = b""
    first = None
    headers = {}
    while True:
        line = rfile.readline(LINE_MAX)
        if not line:
            if raw:
                raise ConnectionError("the stream ended inside a message head")
            return None
        raw += line
        text = line.decode("latin-1").rstrip("\r\n")
        if first is None:
            if text == "":  # tolerated blank lines between messages
                raw = b""
                continue
            first = text
            continue
        if text == "":
            return Message(raw, first, headers)
        name, _, value = text.partition(":")
        headers[name.strip().lower()] = value.strip()


def relay_exact(rfile, dst, n, limit=None):
    """Copies n bytes (at most limit) from rfile to the socket dst; returns the bytes copied."""
    want = n if limit is None else min(n, limit)
    done = 0
    while done < want:
        block = rfile.read1(min(65536, want - done))
        if not block:
            raise ConnectionError(f"the stream ended inside a body, after {done} of {n} bytes")
        dst.sendall(block)
        done += len(block)
    return done


def relay_chunked(rfile, dst, limit=None):
    """Copies a chunked body as it is (sizes, data, trailers); with limit, stops after that
    many bytes of it. Returns the bytes copied."""
    done = 0
    while True:
        line = rfile.readline(LINE_MAX)
        if not line:
            raise ConnectionError("the stream ended inside a chunked body")
        dst.sendall(line)
        done += len(line)
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the empty line
                t = rfile.readline(LINE_MAX)
                dst.sendall(t)
                done += len(t)
                if t in (b"\r\n", b"\n", b""):
                    return done
        done += relay_exact(rfile, dst, size + 2)  # the data and its CRLF
        if limit is not None and done >= limit:
            return done


class Sink:
    """A socket stand-in that throws away what is sent (a request's body the proxy answers)."""

    def sendall(self, _data):
        pass


def closed(sock):
    """Has the server closed this idle connection? (A client would see that and open another.)"""
    ready, _, _ = select.select([sock], [], [], 0)
    if not ready:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def reset(sock):
    """Closes with a reset, as a dropped route or a crashed middlebox gives."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        proxy = self.server.proxy
        conn = proxy.next_conn()
        client = self.request
        crf = client.makefile("rb")
        up = None
        urf = None
        try:
            while True:
                req = read_head(crf)
                if req is None:
                    break
                method, path = (req.first.split(" ") + ["", ""])[:2]
                n, nth, rule = proxy.count(method.upper())
                ev = {"conn": conn, "n": n, "count": nth, "method": method, "path": path,
                      "offset": req.header("upload-offset"), "length": req.length()}
                proxy.log(event="request", **ev)
                if rule and rule.kind not in ("drop", "stall"):
                    self.answer(client, crf, req, rule, ev)
                    continue
                if up is not None and closed(up):  # the server's keep-alive ran out: anew
                    up.close()
                    up = None
                if up is None:
                    up = socket.create_connection(proxy.upstream)
                    urf = up.makefile("rb")
                up.sendall(req.raw)
                if rule:  # drop or stall: part of the body, then the cut
                    self.cut(client, crf, up, req, rule, ev)
                    return
                if req.chunked():
                    relay_chunked(crf, up)
                elif req.length():
                    relay_exact(crf, up, req.length())
                if not self.response(urf, client, method, ev):
                    break
        except (ConnectionError, OSError) as e:
            proxy.log(event="close", conn=conn, error=str(e))
        finally:
            for s in (up, client):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def answer(self, client, crf, req, rule, ev):
        """A status of the rule's, after reading (and dropping) the request's body."""
        if req.chunked():
            relay_chunked(crf, Sink())
        elif req.length():
            relay_exact(crf, Sink(), req.length())
        body = f"fault_proxy: {rule.kind}\n".encode()
        head = [f"HTTP/1.1 {rule.kind} Fault", "Tus-Resumable: 1.0.0",
                "Content-Type: text/plain", f"Content-Length: {len(body)}"]
        ra = rule.params.get("retry-after")
        if ra is not None:
            if ra.startswith("date+"):
                ra = email.utils.formatdate(time.time() + float(ra[5:]), usegmt=True)
            head.append(f"Retry-After: {ra}")
        client.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        self.server.proxy.log(event="fault", kind=rule.kind, status=int(rule.kind),
                              retry_after=ra, **ev)

    def cut(self, client, crf, up, req, rule, ev):
        """Forwards part of the body, stalls if told, then cuts both connections."""
        length = req.length()
        limit = int(length * rule.at) if length is not None else 65536
        if req.chunked():
            sent = relay_chunked(crf, up, limit)
        else:
            sent = relay_exact(crf, up, length or 0, limit)
        self.server.proxy.log(event="fault", kind=rule.kind, sent=sent,
                              seconds=rule.seconds if rule.kind == "stall" else None, **ev)
        if rule.kind == "stall":
            time.sleep(rule.seconds)
        reset(client)
        up.close()
        self.server.proxy.log(event="cut", kind=rule.kind, sent=sent, **ev)

    def response(self, urf, client, method, ev):
        """Relays one response (and any 1xx before it); False when the connection must end."""
        while True:
            resp = read_head(urf)
            if resp is None:
                raise ConnectionError("the server closed the connection without an answer")
            client.sendall(resp.raw)
            status = int(resp.first.split(" ")[1])
            if 100 <= status < 200:
                continue
            break
        if method.upper() == "HEAD" or status in (204, 304):
            pass
        elif resp.chunked():
            relay_chunked(urf, client)
        elif resp.length() is not None:
            relay_exact(urf, client, resp.length())
        else:  # delimited by the end of the connection
            while True:
                block = urf.read1(65536)
                if not block:
                    break
                client.sendall(block)
            self.server.proxy.log(event="response", status=status, **ev)
            return False
        self.server.proxy.log(event="response", status=status, **ev)
        return "close" not in (resp.header("connection") or "").lower()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", required=True, help="HOST:PORT of the tus server (plain HTTP)")
    p.add_argument("--fault", action="append", default=[], help="KIND@N[:KEY=VALUE,...]")
    p.add_argument("--log", help="the log file (appended), default stderr")
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    try:
        proxy = Proxy(args)
    except ValueError as e:
        p.error(str(e))
    server = Server(("127.0.0.1", args.port), Handler)
    server.proxy = proxy
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
