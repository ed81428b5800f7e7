"""tls_helpers.py: a test CA and certificates made with openssl in a tmp
directory, DoT/DoH clients (dnspython over ssl, raw HTTP/2 with python3-h2),
and ternd/unbound set-ups for the TLS tests. Everything on loopback."""
import base64
import os
import socket
import ssl
import struct
import subprocess
import time

import dns.message

from peers import LOOPBACK, free_port
from ternd import start_ternd

HOST = "dns.test"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name="ca", cn="tern test CA"):
    """A self-signed CA: d/name.pem, d/name.key."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={cn}", cwd=d)
    return os.path.join(d, f"{name}.pem")


def make_cert(d, name, ca="ca", san=f"DNS:{HOST},IP:127.0.0.1", days=1, expired=False, self_signed=False):
    """A server certificate d/name.pem (+ .key) for san, signed by ca (or
    itself); expired: valid only in the past."""
    key = f"{name}.key"
    if self_signed:
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                "-out", f"{name}.pem", "-days", str(days), "-subj", f"/CN={HOST}", "-addext",
                f"subjectAltName={san}", cwd=d)
        return os.path.join(d, f"{name}.pem"), os.path.join(d, key)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", f"{name}.csr", "-subj", f"/CN={HOST}", cwd=d)
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(f"subjectAltName={san}\n")
    if expired:
        # openssl x509 has no start date option in 3.0: openssl ca does
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n"
                    "policy=p\ndefault_md=sha256\ncopy_extensions=copy\n[p]\ncommonName=supplied\n")
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        openssl("ca", "-batch", "-config", "ca.cnf", "-cert", f"{ca}.pem", "-keyfile", f"{ca}.key", "-in",
                f"{name}.csr", "-out", f"{name}.pem", "-startdate", "20200101000000Z", "-enddate",
                "20200102000000Z", "-extfile", f"{name}.ext", "-notext", cwd=d)
    else:
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", str(days), "-extfile", f"{name}.ext", cwd=d)
    return os.path.join(d, f"{name}.pem"), os.path.join(d, key)


def spki_pin(cert):
    """sha256/BASE64 of the certificate's SubjectPublicKeyInfo (RFC 7858 4.2)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, check=True,
                         capture_output=True).stdout
    import hashlib
    return "sha256/" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def client_ctx(ca, alpn=None):
    ctx = ssl.create_default_context(cafile=ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def dot_connect(port, ca, host=LOOPBACK, alpn=("dot",), timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    return client_ctx(ca, list(alpn) if alpn else None).wrap_socket(s, server_hostname=HOST)


def dot_send(conn, msg):
    wire = msg.to_wire() if hasattr(msg, "to_wire") else msg
    conn.sendall(struct.pack("!H", len(wire)) + wire)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def dot_recv(conn):
    n = struct.unpack("!H", recv_exact(conn, 2))[0]
    return dns.message.from_wire(recv_exact(conn, n))


def dot_query(port, ca, qname, qtype="A"):
    with dot_connect(port, ca) as c:
        dot_send(c, dns.message.make_query(qname, qtype))
        return dot_recv(c)


def b64url(wire):
    return base64.urlsafe_b64encode(wire).decode().rstrip("=")


def curl(port, ca, path, *args):
    """(status, headers dict, body) of one HTTP/2 request with curl."""
    r = subprocess.run(["curl", "-s", "--http2", "--cacert", ca, "--resolve", f"{HOST}:{port}:127.0.0.1",
                        "-D", "-", "-o", "-", *args, f"https://{HOST}:{port}{path}"],
                       capture_output=True, timeout=20)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return status, headers, body


class H2Client:
    """A raw HTTP/2 client (python3-h2) for what curl cannot send."""

    def __init__(self, port, ca, timeout=5.0):
        import h2.config
        import h2.connection
        self.sock = dot_connect(port, ca, alpn=("h2",), timeout=timeout)
        assert self.sock.selected_alpn_protocol() == "h2"
        self.conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True,
                                                                                validate_outbound_headers=False))
        self.conn.initiate_connection()
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method, path, headers=(), body=None, end=True):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":path", path), (":scheme", "https"), (":authority", HOST), *headers]
        self.conn.send_headers(sid, hdrs, end_stream=end and body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=end)
        self.flush()
        return sid

    def responses(self, want, timeout=5.0):
        """{stream: (status, headers, body)} for want streams; resets as
        (None, 'reset', code)."""
        import h2.events
        out, bodies, heads = {}, {}, {}
        end = time.time() + timeout
        while len(out) < want and time.time() < end:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            for ev in self.conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    heads[ev.stream_id] = {k.decode() if isinstance(k, bytes) else k:
                                           v.decode() if isinstance(v, bytes) else v for k, v in ev.headers}
                elif isinstance(ev, h2.events.DataReceived):
                    bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    h = heads.get(ev.stream_id, {})
                    out[ev.stream_id] = (int(h.get(":status", 0)), h, bodies.get(ev.stream_id, b""))
                elif isinstance(ev, h2.events.StreamReset):
                    out[ev.stream_id] = (None, "reset", ev.error_code)
            self.flush()
        return out

    def close(self):
        self.sock.close()


def tls_config(d, cert, key, extra=""):
    """A ternd config with DoT and DoH listeners; returns (path, dot_port, doh_port)."""
    dot, doh = free_port(), free_port()
    path = os.path.join(d, "tls.conf")
    with open(path, "w") as f:
        f.write(f"server:\n    listen-tls: 127.0.0.1:{dot}\n    listen-https: 127.0.0.1:{doh}\n"
                f"    tls-certificate: {cert}\n    tls-key: {key}\n{extra}")
    return path, dot, doh


def start_tls_ternd(d, zones, cert, key, extra="", args=()):
    path, dot, doh = tls_config(str(d), cert, key, extra)
    srv = start_ternd(d, zones, args=["-c", path, *args])
    srv.dot, srv.doh = dot, doh
    return srv


class DotServer:
    """A DNS-over-TLS upstream in this process (threads): handler(query
    message) returns a response message (or None: silence). batch=N: on
    each connection, read N queries, then answer them in reverse order (out
    of order, RFC 7858 3.3). Counts connections and queries."""

    def __init__(self, cert, key, handler, batch=1):
        import socketserver
        import threading
        self.handler, self.batch = handler, batch
        self.connections, self.queries = 0, []
        self._lock = threading.Lock()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    conn = ctx.wrap_socket(self.request, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                with outer._lock:
                    outer.connections += 1
                conn.settimeout(10)
                try:
                    while True:
                        got = []
                        for _ in range(outer.batch):
                            got.append(dot_recv(conn))
                        with outer._lock:
                            outer.queries += [str(m.question[0].name) for m in got]
                        for m in reversed(got):
                            r = outer.handler(m)
                            if r is not None:
                                dot_send(conn, r)
                except (EOFError, OSError, ssl.SSLError):
                    return

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.srv = Server((LOOPBACK, 0), Handler)
        self.port = self.srv.server_address[1]
        self._t = threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._t.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def answer_a(addr, ttl=60):
    """A handler answering every A question with addr."""
    import dns.rrset

    def h(m):
        r = dns.message.make_response(m)
        r.answer.append(dns.rrset.from_text(m.question[0].name, ttl, "IN", "A", addr))
        return r
    return h


def start_unbound_dot(d, cert, key, local_data, https=False):
    """Unbound serving local_data (list of RR strings) over DNS over TLS (or,
    https=True, DNS over HTTPS at /dns-query) on a free loopback port;
    returns (proc, port)."""
    port = free_port()
    conf = os.path.join(d, "unbound.conf")
    service = (f"    https-port: {port}\n    http-endpoint: \"/dns-query\"\n" if https
               else f"    tls-port: {port}\n")
    with open(conf, "w") as f:
        f.write(f"""server:
    interface: 127.0.0.1@{port}
{service}    tls-service-key: "{key}"
    tls-service-pem: "{cert}"
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    do-daemonize: no
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    local-zone: "up.test." static
""" + "".join(f'    local-data: "{rr}"\n' for rr in local_data) + "remote-control:\n    control-enable: no\n")
    log = open(os.path.join(d, "unbound.log"), "w")
    proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection((LOOPBACK, port), timeout=0.5).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("unbound did not start: " + open(os.path.join(d, "unbound.log")).read())
