"""xfr_helpers.py: a ternd primary configured by file (zones with
allow-transfer, notify, journal-size), and transfers read message by
message, for the zone-transfer system tests."""
import os
import socket
import struct
import time

import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.zone

from ternd import start_ternd

KEY_NAME = "xfr-key."
KEY_SECRET = "c2VjcmV0IG9mIHRoZSB0cmFuc2Zlci1rZXkgb2YgdGVybg=="
KEYRING = dns.tsigkeyring.from_text({KEY_NAME: ("hmac-sha256", KEY_SECRET)})


def zone_text(origin, serial, body="", ttl=300):
    return (f"$ORIGIN {origin}.\n$TTL {ttl}\n@ SOA ns hm {serial} 3600 600 86400 300\n"
            f"@ NS ns\nns A 192.0.2.1\n{body}")


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_config(workdir, zones, server=(), key=False):
    """zones: {origin: (zone text, [zone option lines])}. Returns the
    config path; zone files are <origin>.zone beside it."""
    lines = ["server:", "    forward: none"] + [f"    {s}" for s in server]
    if key:
        lines += ["key:", f"    name: {KEY_NAME}", "    algorithm: hmac-sha256", f"    secret: {KEY_SECRET}"]
    for origin, (text, opts) in zones.items():
        write(os.path.join(str(workdir), origin + ".zone"), text)
        lines += ["zone:", f"    name: {origin}", f"    file: {origin}.zone"] + [f"    {o}" for o in opts]
    path = os.path.join(str(workdir), "ternd.conf")
    write(path, "\n".join(lines) + "\n")
    return path


def start_primary(workdir, zones, server=(), key=False, threads=2):
    conf = write_config(workdir, zones, server, key)
    return start_ternd(workdir, None, args=["--config", conf], probe=next(iter(zones)) + ".", threads=threads)


def xfr_query(origin, rdtype="AXFR", serial=None, keyed=False):
    q = dns.message.make_query(origin, rdtype)
    if serial is not None:
        q.authority.append(dns.rrset.from_text(origin + ".", 0, "IN", "SOA", f". . {serial} 0 0 0 0"))
    if keyed:
        q.use_tsig(KEYRING, keyname=KEY_NAME)
    return q


def transfer(host, port, q, timeout=10.0, pause=None, rcvbuf=None, connect=None):
    """Sends q over TCP and reads messages until one ends with an SOA that
    closes the transfer (the second SOA of the final serial, counting the
    first RR; a lone SOA or an error ends it too). Returns the messages
    (parsed one RR per RRset). pause(i, msg) runs after message i.
    connect(sock): what to read and write instead of the connected socket
    (a TLS one, for XFR over TLS)."""
    keyring = q.keyring if q.had_tsig else None
    msgs = []
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        if rcvbuf:  # a slow reader: the sender's queue fills
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.connect((host, port))
        if connect:
            s = connect(s)
        wire = q.to_wire()
        s.sendall(struct.pack("!H", len(wire)) + wire)
        final = None
        seen_final = 0
        total_rrs = 0
        ctx = None
        while True:
            hdr = _recv(s, 2)
            data = _recv(s, struct.unpack("!H", hdr)[0])
            m = dns.message.from_wire(data, keyring=keyring, request_mac=q.mac if keyring else b"",
                                      xfr=True, origin=None, tsig_ctx=ctx, multi=bool(keyring),
                                      one_rr_per_rrset=True)
            ctx = m.tsig_ctx if keyring else None
            msgs.append(m)
            if pause:
                pause(len(msgs) - 1, m)
            if m.rcode() != 0:
                return msgs
            for rrset in m.answer:
                total_rrs += 1
                if rrset.rdtype != dns.rdatatype.SOA:
                    continue
                serial = rrset[0].serial
                if final is None:
                    final = serial
                if serial == final:
                    seen_final += 1
            if total_rrs == 1 and len(m.answer) == 1 and _lone_soa_possible(q, final):
                return msgs
            if seen_final >= 2 and m.answer and m.answer[-1].rdtype == dns.rdatatype.SOA \
                    and m.answer[-1][0].serial == final and _closed(msgs, final):
                return msgs


def _lone_soa_possible(q, final):
    if q.question[0].rdtype != dns.rdatatype.IXFR:
        return False
    serial = q.authority[0][0].serial
    return ((final - serial) % 2**32) == 0 or ((final - serial) % 2**32) >= 2**31


def _closed(msgs, final):
    """An AXFR(-style) answer ends at the 2nd SOA; an incremental one at
    the SOA of the final serial that follows an added run (an odd count of
    SOAs after the first, RFC 1995 4)."""
    rrs = [r for m in msgs for r in m.answer]
    if len(rrs) < 2 or rrs[1].rdtype != dns.rdatatype.SOA:
        return True  # AXFR form: the second SOA of the final serial ends it
    soas = [r for r in rrs if r.rdtype == dns.rdatatype.SOA]
    return len(soas) >= 4 and len(soas) % 2 == 0 and soas[-1][0].serial == final


def _recv(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed mid-transfer")
        buf += chunk
    return buf


def rrs_of(msgs):
    """Every RR of the answer sections, in order, as text lines."""
    return [r.to_text() for m in msgs for r in m.answer]


def zone_rrs(origin, text):
    """The RRs of a zone file, canonical lines, sorted."""
    z = dns.zone.from_text(text, origin=origin + ".", relativize=False)
    out = []
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            for rd in rds:
                out.append(f"{name} {rds.ttl} IN {dns.rdatatype.to_text(rds.rdtype)} {rd.to_text()}")
    return sorted(out)


def canonical(lines):
    """RR text lines made comparable: sorted, one space between fields."""
    return sorted(" ".join(line.split()) for line in lines)


def wait_for(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
