# tern: one make builds the library, the server and the client into $(BUILD).
#   make            build build/ternd, build/tern and build/ternctl
#   make run        build and start ternd on its built-in default (Ctrl-C stops it)
#   make test       install test dependencies (as root), build, run every test
#   make SAN=1      the same with AddressSanitizer + UndefinedBehaviorSanitizer
#                   (into build/san unless BUILD is given)
#   make fuzz       run each libFuzzer harness (fuzz/README.md)
#   make bench      the side-by-side benchmark (docs/performance.md)
#   make install    ternd, ternctl, tern, man pages, the example configuration
#                   and the systemd unit (PREFIX, DESTDIR, sysconfdir); make uninstall
CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT     ?= -O1
else
BUILD   ?= build
SANFLAGS =
OPT     ?= -O2
endif
CFLAGS  ?= $(OPT) -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS = -std=c17 -D_GNU_SOURCE -Iinclude -Isrc -I$(GEN) -MMD -MP
ALLFLAGS = $(CPPFLAGS) $(WARN) $(CFLAGS) $(SANFLAGS) -pthread
# libcrypto: TSIG HMACs (src/lib/tsig.c); libssl, nghttp2: src/tls/; libfstrm,
# libprotobuf-c: dnstap (src/ctl/dnstap.c; as-needed: tern and ternctl do not
# use them); LDFLAGS: packaging's
LDLIBS   = -lssl -lnghttp2 -lcrypto -Wl,--as-needed -lfstrm -lprotobuf-c -Wl,--no-as-needed -pthread $(LDFLAGS)

# Generated code (not committed): dnstap's protobuf in C, made by protoc-c
# (protobuf-c-compiler) from src/ctl/dnstap.proto; one copy for every build.
GEN      = build/gen
PB_SRC   = $(GEN)/dnstap.pb-c.c

LIB_SRC    := $(wildcard src/lib/*.c)
DB_SRC     := $(wildcard src/db/*.c)
RESOLVE_SRC:= $(wildcard src/resolve/*.c)
XFR_SRC    := $(wildcard src/xfr/*.c)
DNSSEC_SRC := $(wildcard src/dnssec/*.c)
VALIDATE_SRC := $(wildcard src/validate/*.c)
POLICY_SRC := $(wildcard src/policy/*.c)
SERVER_SRC := $(wildcard src/server/*.c) $(filter-out src/ctl/ternctl.c,$(wildcard src/ctl/*.c))
XFR_SRC    := $(wildcard src/xfr/*.c)
CLIENT_SRC := $(wildcard src/client/*.c)
TLS_SRC    := $(wildcard src/tls/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ    := $(call obj,$(LIB_SRC))
DB_OBJ     := $(call obj,$(DB_SRC) $(RESOLVE_SRC) $(XFR_SRC) $(POLICY_SRC) $(DNSSEC_SRC) $(VALIDATE_SRC))
SERVER_OBJ := $(call obj,$(SERVER_SRC) $(PB_SRC))
# everything of the server except main(), so unit tests can link it
SERVER_LIB_OBJ := $(filter-out $(BUILD)/obj/src/server/main.o,$(SERVER_OBJ))
CLIENT_OBJ := $(call obj,$(CLIENT_SRC))
TLS_OBJ    := $(call obj,$(TLS_SRC))

# The client's interactive mode edits lines and keeps a history with libedit
# (libedit-dev) when it is there at build time; without it, plain input.
HAVE_LIBEDIT := $(shell printf '\043include <editline/readline.h>\nint main(void){return !readline;}\n' | \
	$(CC) -x c - -o /dev/null -ledit >/dev/null 2>&1 && echo 1)
ifeq ($(HAVE_LIBEDIT),1)
CLIENT_CPPFLAGS = -DTERN_HAVE_LIBEDIT
CLIENT_LDLIBS   = -ledit
endif
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all run test unit check-deps clean bench install uninstall
all: $(BUILD)/ternd $(BUILD)/tern $(BUILD)/ternctl

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) -c $< -o $@

$(PB_SRC) $(GEN)/dnstap.pb-c.h &: src/ctl/dnstap.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=src/ctl --c_out=$(GEN) $<
$(call obj,src/ctl/dnstap.c fuzz/fuzz_dnstap.c): $(GEN)/dnstap.pb-c.h

$(BUILD)/libtern.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# src/tls: contexts, peer checks, DoH, HTTP/2 (server and client link it)
$(BUILD)/libterntls.a: $(TLS_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ternd: $(SERVER_OBJ) $(DB_OBJ) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tern: $(CLIENT_OBJ) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(CLIENT_LDLIBS) $(LDLIBS)

$(BUILD)/obj/src/client/%.o: src/client/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) $(CLIENT_CPPFLAGS) -c $< -o $@

# ternctl: the control tool (src/ctl/ternctl.c, and the request language it
# shares with ternd)
$(BUILD)/ternctl: $(call obj,src/ctl/ternctl.c src/ctl/proto.c src/ctl/out.c)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(SERVER_LIB_OBJ) $(DB_OBJ) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

unit: $(UNIT_BIN)

# bench/zone_change.c: the cost of a small change to a zone (make bench); the
# server objects too, since src/xfr (in DB_OBJ) calls into the server
$(BUILD)/bench/zone_change: $(BUILD)/obj/bench/zone_change.o $(SERVER_LIB_OBJ) $(DB_OBJ) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# test objects are not intermediates to delete (they would be rebuilt every time)
.SECONDARY: $(patsubst tests/unit/%.c,$(BUILD)/obj/tests/unit/%.o,$(UNIT_SRC))

# installs the build dependencies first when run as root (else names them)
run:
	@tests/deps.sh --build
	@$(MAKE) --no-print-directory all
	./$(BUILD)/ternd

# The one command that runs every test: unit tests (cmocka), system tests
# (pytest against the real binaries on loopback), then the whole suite again
# under ASan+UBSan. Ends with the line "N passed, N failed".
# FUZZ_SECONDS=N (CI sets 30) also runs each libFuzzer harness that long.
FUZZ_SECONDS ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test:
	@tests/deps.sh
	@$(MAKE) --no-print-directory -j$(JOBS) all unit
	@$(MAKE) --no-print-directory -j$(JOBS) SAN=1 all unit
	@/usr/bin/python3 tests/run.py --build build --san-build build/san --fuzz-seconds $(FUZZ_SECONDS)

bench: all
	bench/run.sh

clean:
	rm -rf build

# ---- install (issue 13 item 5)
#   make install [PREFIX=/usr/local] [DESTDIR=] [sysconfdir=$(PREFIX)/etc, /etc for /usr]
#   make uninstall (the same variables; the configuration in sysconfdir stays)
# Installed ternd and ternctl read $(sysconfdir)/tern/ternd.conf when given no
# --config / -c (built again for that into $(BUILD)/install/); the source
# tree's own binaries keep etc/ternd.conf for make run. The example
# configuration is installed only where none is.
PREFIX     ?= /usr/local
DESTDIR    ?=
bindir     ?= $(PREFIX)/bin
sbindir    ?= $(PREFIX)/sbin
mandir     ?= $(PREFIX)/share/man
sysconfdir ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
systemdunitdir ?= $(PREFIX)/lib/systemd/system
runstatedir ?= /run
INSTALL    ?= install
INST_DEFS   = -DTERN_DEFAULT_CONFIG='"$(sysconfdir)/tern/ternd.conf"'
INST_DIR    = $(BUILD)/install

.PHONY: FORCE
FORCE:
# rebuilt every time: sysconfdir may differ from the last install
$(INST_DIR)/main.o: src/server/main.c FORCE
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) $(INST_DEFS) -c $< -o $@
$(INST_DIR)/ternctl.o: src/ctl/ternctl.c FORCE
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) $(INST_DEFS) -c $< -o $@
$(INST_DIR)/ternd: $(INST_DIR)/main.o $(SERVER_LIB_OBJ) $(DB_OBJ) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)
$(INST_DIR)/ternctl: $(INST_DIR)/ternctl.o $(call obj,src/ctl/proto.c src/ctl/out.c)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

install: all $(INST_DIR)/ternd $(INST_DIR)/ternctl
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man5 \
		$(DESTDIR)$(mandir)/man8 $(DESTDIR)$(sysconfdir)/tern $(DESTDIR)$(systemdunitdir)
	$(INSTALL) -m 755 $(INST_DIR)/ternd $(INST_DIR)/ternctl $(DESTDIR)$(sbindir)/
	$(INSTALL) -m 755 $(BUILD)/tern $(DESTDIR)$(bindir)/
	$(INSTALL) -m 644 docs/tern.1 $(DESTDIR)$(mandir)/man1/
	$(INSTALL) -m 644 docs/ternd.conf.5 $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 644 docs/ternd.8 docs/ternctl.8 $(DESTDIR)$(mandir)/man8/
	@for f in example.com.zone aliases.txt; do \
		[ -e $(DESTDIR)$(sysconfdir)/tern/$$f ] || $(INSTALL) -m 644 etc/$$f $(DESTDIR)$(sysconfdir)/tern/$$f; \
	done
	@if [ -e $(DESTDIR)$(sysconfdir)/tern/ternd.conf ]; then \
		echo "install: $(DESTDIR)$(sysconfdir)/tern/ternd.conf exists: kept"; \
	else \
		sed 's|^\( *control:\).*|\1 $(runstatedir)/ternd/ternd.ctl  # ternctl status|' etc/ternd.conf \
			> $(DESTDIR)$(sysconfdir)/tern/ternd.conf && chmod 644 $(DESTDIR)$(sysconfdir)/tern/ternd.conf; \
	fi
	sed -e 's|/usr/local/sbin/|$(sbindir)/|g' -e 's|/etc/tern/|$(sysconfdir)/tern/|g' etc/ternd.service \
		> $(DESTDIR)$(systemdunitdir)/ternd.service
	chmod 644 $(DESTDIR)$(systemdunitdir)/ternd.service

uninstall:
	rm -f $(DESTDIR)$(sbindir)/ternd $(DESTDIR)$(sbindir)/ternctl $(DESTDIR)$(bindir)/tern \
		$(DESTDIR)$(mandir)/man1/tern.1 $(DESTDIR)$(mandir)/man5/ternd.conf.5 \
		$(DESTDIR)$(mandir)/man8/ternd.8 $(DESTDIR)$(mandir)/man8/ternctl.8 \
		$(DESTDIR)$(systemdunitdir)/ternd.service
	@echo "uninstall: $(DESTDIR)$(sysconfdir)/tern/ (the configuration) is left in place"

include fuzz/fuzz.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
