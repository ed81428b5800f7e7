# scratch.mk: tries fuzz.mk before the top Makefile includes it:
#   make -f fuzz/scratch.mk fuzz-replay
include Makefile
include fuzz/fuzz.mk
