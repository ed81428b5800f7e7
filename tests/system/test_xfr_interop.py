"""Interop, ternd as primary (issue 11, "How it is checked" (a)): Knot, NSD
and BIND as secondaries of ternd on loopback, with and without TSIG. Each
transfers the zone at start (AXFR); then the zone file changes (serial + 1,
records added, changed, removed) and ternd reloads -> NOTIFY -> the peer
pulls an IXFR -> the peer's copy equals ternd's, compared canonically (the
RRs of an AXFR from each, sorted)."""
import os
import shutil

import pytest

from conftest import stop_clean
from peers import free_port, start_bind_secondary, start_knot_secondary, start_nsd_secondary
from xfr_helpers import (KEY_NAME, KEY_SECRET, canonical, rrs_of, start_primary, transfer, wait_for, write,
                         xfr_query, zone_text)
from test_xfr_out import BODY1, BODY2, ORIGIN

PEERS = {"knot": ("knotd", start_knot_secondary), "nsd": ("nsd", start_nsd_secondary),
         "bind": ("named", start_bind_secondary)}


def serial_at(host, port):
    import dns.message
    import dns.query
    try:
        r = dns.query.udp(dns.message.make_query(ORIGIN, "SOA"), host, port=port, timeout=0.5)
        return r.answer[0][0].serial if r.answer else None
    except Exception:
        return None


@pytest.mark.parametrize("tsig", [False, True], ids=["plain", "tsig"])
@pytest.mark.parametrize("peer", list(PEERS))
def test_peer_secondary_follows_ternd(tmp_path, peer, tsig):
    binary, start = PEERS[peer]
    if shutil.which(binary) is None:
        pytest.skip(f"{binary} not installed")
    key = (KEY_NAME, "hmac-sha256", KEY_SECRET) if tsig else None
    kopt = f" key {KEY_NAME}" if tsig else ""
    pport = free_port()
    srv = start_primary(tmp_path, {ORIGIN: (zone_text(ORIGIN, 1, BODY1),
                                            [f"allow-transfer: 127.0.0.1{kopt}", f"notify: 127.0.0.1:{pport}{kopt}"])},
                        key=tsig)
    sec = None
    try:
        sec = start(tmp_path, ORIGIN, (srv.host, srv.port), key=key, port=pport)
        assert wait_for(lambda: serial_at(sec.host, sec.port) == 1, timeout=5), sec.log_text()
        write(os.path.join(str(tmp_path), ORIGIN + ".zone"), zone_text(ORIGIN, 2, BODY2))
        srv.reload()
        # NOTIFY -> the peer asks at once (no refresh timer is that short)
        assert wait_for(lambda: serial_at(sec.host, sec.port) == 2, timeout=10), \
            sec.log_text() + "\n" + srv.log_text()
        log = srv.log_text()
        assert "IXFR to 127.0.0.1, serial 2" in log, log  # incremental, not "IXFR (AXFR-style)"
        if tsig:
            assert "IXFR to 127.0.0.1, serial 2, TSIG" in log
        assert "acknowledged" in log  # the peer answered our NOTIFY
        if peer == "knot":  # the peer's own word for it
            assert "IXFR, incoming" in sec.log_text()
        mine = rrs_of(transfer(srv.host, srv.port, xfr_query(ORIGIN, keyed=tsig)))
        theirs = rrs_of(transfer(sec.host, sec.port, xfr_query(ORIGIN)))
        assert canonical(theirs[:-1]) == canonical(mine[:-1])
    finally:
        if sec:
            sec.stop()
        stop_clean(srv)
