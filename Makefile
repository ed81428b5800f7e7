# tern: one make builds the library, the server and the client into $(BUILD).
#   make            build build/ternd and build/tern
#   make run        build and start ternd on its built-in default (Ctrl-C stops it)
#   make test       install test dependencies (as root), build, run every test
#   make SAN=1      the same with AddressSanitizer + UndefinedBehaviorSanitizer
#                   (into build/san unless BUILD is given)
#   make fuzz       run each libFuzzer harness (fuzz/README.md)
#   make bench      the side-by-side benchmark (docs/performance.md)
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
CPPFLAGS = -std=c17 -D_GNU_SOURCE -Iinclude -Isrc -MMD -MP
ALLFLAGS = $(CPPFLAGS) $(WARN) $(CFLAGS) $(SANFLAGS) -pthread
LDLIBS   = -lssl -lnghttp2 -lcrypto -pthread   # libcrypto: TSIG HMACs (src/lib/tsig.c); libssl, nghttp2: src/tls/

LIB_SRC    := $(wildcard src/lib/*.c)
DB_SRC     := $(wildcard src/db/*.c)
RESOLVE_SRC:= $(wildcard src/resolve/*.c)
XFR_SRC    := $(wildcard src/xfr/*.c)
SERVER_SRC := $(wildcard src/server/*.c)
XFR_SRC    := $(wildcard src/xfr/*.c)
CLIENT_SRC := $(wildcard src/client/*.c)
TLS_SRC    := $(wildcard src/tls/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ    := $(call obj,$(LIB_SRC))
DB_OBJ     := $(call obj,$(DB_SRC) $(RESOLVE_SRC) $(XFR_SRC))
SERVER_OBJ := $(call obj,$(SERVER_SRC))
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

.PHONY: all run test unit check-deps clean bench
all: $(BUILD)/ternd $(BUILD)/tern

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) -c $< -o $@

$(BUILD)/libtern.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ternd: $(SERVER_OBJ) $(DB_OBJ) $(BUILD)/libtern.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# src/tls: contexts, peer checks, DoH, HTTP/2
$(BUILD)/libterntls.a: $(TLS_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tern: $(CLIENT_OBJ) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(CLIENT_LDLIBS) $(LDLIBS)

$(BUILD)/obj/src/client/%.o: src/client/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) $(CLIENT_CPPFLAGS) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(SERVER_LIB_OBJ) $(DB_OBJ) $(BUILD)/libtern.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

unit: $(UNIT_BIN)

# bench/zone_change.c: the cost of a small change to a zone (make bench)
$(BUILD)/bench/zone_change: $(BUILD)/obj/bench/zone_change.o $(DB_OBJ) $(BUILD)/libtern.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# test objects are not intermediates to delete (they would be rebuilt every time)
.SECONDARY: $(patsubst tests/unit/%.c,$(BUILD)/obj/tests/unit/%.o,$(UNIT_SRC))

run: all
	./$(BUILD)/ternd

# The one command that runs every test: unit tests (cmocka), system tests
# (pytest against the real binaries on loopback), then the whole suite again
# under ASan+UBSan. Ends with the line "N passed, N failed".
# FUZZ_SECONDS=N (CI sets 30) also runs each libFuzzer harness that long.
FUZZ_SECONDS ?= 0
test:
	@tests/deps.sh
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory SAN=1 all unit
	@/usr/bin/python3 tests/run.py --build build --san-build build/san --fuzz-seconds $(FUZZ_SECONDS)

bench: all
	bench/run.sh

clean:
	rm -rf build

include fuzz/fuzz.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
