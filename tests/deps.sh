#!/bin/sh
# Installs what the tests need (as root), or prints the one line to run.
set -e
pkgs=""
need() { dpkg -s "$1" >/dev/null 2>&1 || pkgs="$pkgs $1"; }
need gcc
need make
need libcmocka-dev
need libssl-dev      # OpenSSL 3 libcrypto: TSIG HMACs
need python3-dnspython
need python3-pytest
need knot            # differential tests and the client's reference peer
need knot-dnsutils   # kdig
need bind9-dnsutils  # dig, to compare the client's output
need nsd
need dns-root-data   # /usr/share/dns/root.key: the default DNSSEC trust anchor (dnssec-validation: yes)
need bind9-utils     # dnssec-keygen, dnssec-signzone, delv: the DNSSEC tests sign their own zones
need clang           # the -Werror build check with a second compiler
need libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for clang (make fuzz, CI)
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
