# fuzz.mk: libFuzzer harnesses and their replay (included by the top Makefile,
# whose variables it uses: CPPFLAGS, WARN, CC, ALLFLAGS, CFLAGS, SANFLAGS,
# LDLIBS, BUILD, the *_SRC lists, SERVER_LIB_OBJ, DB_OBJ).
#
#   make fuzz-build            every harness with clang + libFuzzer + ASan + UBSan,
#                              into build/fuzz/fuzz-NAME
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_ONLY="msg name"]
#                              run each harness for FUZZ_SECONDS on one core;
#                              new inputs go to build/fuzz/corpus/NAME, findings
#                              to build/fuzz/crashes/ (and fail the target)
#   make fuzz-replay [SAN=1]   each harness with fuzz/replay.c and $(CC), over its
#                              committed corpus fuzz/corpus/NAME (part of make test)
#
# The upstream harness needs the forwarder (src/resolve/forward.c); it is
# left out while that does not exist.

FUZZ_HARNESSES := msg name rdata zonefile config anchor server tsig xfr xfrin client $(if $(wildcard src/resolve/forward.c),upstream) update ctl http dnstap blocklist rpz doh catalog verify validate keystate dscheck
FUZZ_ONLY      ?= $(FUZZ_HARNESSES)
FUZZ_SECONDS   ?= 60
# libFuzzer takes -max_total_time=0 as "forever": 0 or empty means 60 here
FUZZ_TIME       = $(if $(filter-out 0,$(FUZZ_SECONDS)),$(FUZZ_SECONDS),60)
FUZZ_CC        ?= clang
FUZZ_DIR       := build/fuzz
FUZZ_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS    := $(CPPFLAGS) $(WARN) -O1 -g $(FUZZ_SAN) -pthread
FUZZ_ARGS      ?=

# everything tern has but the two main()s, built again with coverage
FUZZ_LIB_SRC   := $(LIB_SRC) $(TLS_SRC) $(DB_SRC) $(RESOLVE_SRC) $(XFR_SRC) $(POLICY_SRC) $(DNSSEC_SRC) $(VALIDATE_SRC) $(filter-out src/server/main.c,$(SERVER_SRC))
FUZZ_LIB_OBJ   := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRC) $(PB_SRC) fuzz/common.c)
$(patsubst %.c,$(FUZZ_DIR)/obj/%.o,src/ctl/dnstap.c fuzz/fuzz_dnstap.c): $(GEN)/dnstap.pb-c.h
FUZZ_BINS      := $(patsubst %,$(FUZZ_DIR)/fuzz-%,$(FUZZ_HARNESSES))

# the replay build uses the normal objects of $(BUILD) (so SAN=1 applies)
REPLAY_DIR     := $(BUILD)/fuzz-replay
REPLAY_BINS    := $(patsubst %,$(REPLAY_DIR)/replay-%,$(FUZZ_HARNESSES))

.PHONY: fuzz fuzz-build fuzz-replay

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz-%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# the client harness links the client too, but for its main() and its
# interactive loop (the one part that needs main.c)
FUZZ_CLIENT_SRC := $(filter-out src/client/main.c src/client/interactive.c,$(CLIENT_SRC))
$(FUZZ_DIR)/fuzz-client: $(FUZZ_DIR)/obj/fuzz/fuzz_client.o $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_CLIENT_SRC)) \
		$(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# One harness after the other, each on one core (-jobs/-workers 1).
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/crashes
	@set -e; for h in $(FUZZ_ONLY); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$h; \
		echo "fuzz $$h: $(FUZZ_TIME) s"; \
		$(FUZZ_DIR)/fuzz-$$h -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crashes/$$h- $(FUZZ_ARGS) \
			$(FUZZ_DIR)/corpus/$$h fuzz/corpus/$$h 2>$(FUZZ_DIR)/$$h.log \
		|| { tail -n 60 $(FUZZ_DIR)/$$h.log; echo "fuzz $$h: FINDING (see $(FUZZ_DIR)/crashes/)"; exit 1; }; \
		grep -E '^stat::number_of_executed_units' $(FUZZ_DIR)/$$h.log | sed "s/^/fuzz $$h: /"; \
	done

$(REPLAY_DIR)/replay-%.o: fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLFLAGS) -DFUZZ_NAME='"$*"' -c $< -o $@

$(REPLAY_DIR)/replay-%: $(REPLAY_DIR)/replay-%.o $(BUILD)/obj/fuzz/fuzz_%.o $(BUILD)/obj/fuzz/common.o \
		$(SERVER_LIB_OBJ) $(DB_OBJ) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(REPLAY_DIR)/replay-client: $(REPLAY_DIR)/replay-client.o $(BUILD)/obj/fuzz/fuzz_client.o $(BUILD)/obj/fuzz/common.o \
		$(call obj,$(FUZZ_CLIENT_SRC)) $(BUILD)/libterntls.a $(BUILD)/libtern.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# keep the objects make would otherwise delete as intermediates
.SECONDARY: $(patsubst %,$(REPLAY_DIR)/replay-%.o,$(FUZZ_HARNESSES)) \
	$(patsubst %,$(BUILD)/obj/fuzz/fuzz_%.o,$(FUZZ_HARNESSES)) $(BUILD)/obj/fuzz/common.o \
	$(patsubst %,$(FUZZ_DIR)/obj/fuzz/fuzz_%.o,$(FUZZ_HARNESSES))

fuzz-replay: $(REPLAY_BINS)
	@rc=0; for h in $(FUZZ_HARNESSES); do $(REPLAY_DIR)/replay-$$h fuzz/corpus/$$h || rc=1; done; exit $$rc

-include $(shell find $(FUZZ_DIR)/obj $(REPLAY_DIR) -name '*.d' 2>/dev/null)
