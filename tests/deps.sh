#!/bin/sh
# Installs what the tests need (as root), or prints the one line to run.
set -e
pkgs=""
need() { dpkg -s "$1" >/dev/null 2>&1 || pkgs="$pkgs $1"; }
# --build: only what building ternd, tern and ternctl needs (make run)
if [ "${1:-}" = "--build" ]; then
	need gcc
	need make
	need libssl-dev
	need libnghttp2-dev
	need libedit-dev
	need libfstrm-dev
	need libprotobuf-c-dev
	need protobuf-c-compiler
	build_only=1
fi
if [ -z "${build_only:-}" ]; then
need gcc
need make
need libcmocka-dev
need libssl-dev      # OpenSSL 3: libcrypto (TSIG HMACs), libssl (DoT, DoH)
need libnghttp2-dev  # HTTP/2 for DNS over HTTPS
need libfstrm-dev    # dnstap: Frame Streams (src/ctl/dnstap.c)
need libprotobuf-c-dev # dnstap: the protobuf payload
need protobuf-c-compiler # protoc-c: src/ctl/dnstap.proto to C at build time
need python3-dnspython
need python3-pytest
need python3-pytest-xdist # the system tests run in two processes (tests/run.py)
need knot            # differential tests and the client's reference peer
need knot-dnsutils   # kdig
need bind9-dnsutils  # dig, to compare the client's output
need bind9           # named: the third server of the dig comparison (tests/system/test_dig_compat.py)
need nsd
need libedit-dev     # line editing and history in the client's interactive mode
need unbound         # a DoT upstream and DoT/DoH reference (tests/system/test_tls*.py)
need curl            # DoH queries over HTTP/2
need openssl         # the TLS tests' CA and certificates
need python3-h2      # HTTP/2 abuse tests (raw frames)
need nghttp2-client  # h2load: the DoH benchmark
need dns-root-data   # /usr/share/dns/root.key: the default DNSSEC trust anchor (dnssec-validation: yes)
need clang           # the -Werror build check with a second compiler
need libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for clang (make fuzz, CI)
need prometheus      # promtool check metrics, and a real scrape of /metrics (test_metrics.py)
need fstrm-bin       # fstrm_capture: a dnstap collector on a unix socket (test_querylog.py)
need debhelper       # dpkg-buildpackage of debian/ (test_install.py)
need lintian         # checks that package
need bind9-utils     # dnssec-keygen, -signzone, -verify, -dsfromkey: the DNSSEC tests' zones
need ldnsutils       # ldns-keygen, -signzone, -read-zone, -verify-zone
need knot-dnssecutils # kzonecheck --dnssec on
fi
[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "tests/deps.sh: installing$pkgs"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# the packages start services on install; policy-rc.d keeps them off
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.tern
	if [ ! -e /usr/sbin/policy-rc.d ]; then cp /usr/sbin/policy-rc.d.tern /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; cleanup=1; fi
	apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
	[ -n "${cleanup:-}" ] && rm -f /usr/sbin/policy-rc.d
	rm -f /usr/sbin/policy-rc.d.tern
else
	echo "tests need:$pkgs"
	echo "run: sudo apt-get install -y$pkgs"
	exit 1
fi
