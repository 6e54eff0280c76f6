# exp_assign: PGXS build of the extension, plus the unit tests of the core.
# exp_assign_proxy (SQL only, PL/Proxy) goes in a proxy database in front of
# shards that run exp_assign: docs/proxy.md.
EXTENSION   = exp_assign exp_assign_proxy
MODULE_big  = exp_assign
EXTVERSION  = 0.2
# 0.2 has no script of its own: CREATE EXTENSION runs 0.1 and the upgrade.
DATA        = sql/exp_assign--0.1.sql sql/exp_assign--0.1--0.2.sql sql/exp_assign_proxy--0.1.sql

CORE_SRCS   = $(wildcard src/core/*.cpp)
PG_SRCS     = $(wildcard src/pg/*.cpp) $(wildcard src/redis/*.cpp)
OBJS        = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)
SHLIB_PREREQS = src/pg/exports.map

# pg_regress inputs live in sql/ beside the install script, outputs in expected/.
REGRESS      = bucket get_or_create explain encoding cohort_query upgrade

WERROR      ?= -Werror
PG_CPPFLAGS  = -I$(srcdir)/src
PG_CXXFLAGS  = -std=c++17 -Wall -Wextra $(WERROR) -fno-omit-frame-pointer
# Debian's libmurmurhash exports only its deprecated names from the .so; the
# static archive (built -fPIC) has lmmh_x86_32 and leaves no runtime dependency.
SHLIB_LINK   = -l:libmurmurhash.a -lhiredis -lstdc++ -Wl,--version-script=$(srcdir)/src/pg/exports.map

# The C++ glue gains nothing from JIT inlining, and PGXS would build its
# bitcode with clang without PG_CXXFLAGS (trap 1 of STYLE.md): no bitcode.
override with_llvm = no

# Set before the PGXS include, which tests `ifdef EXTRA_CLEAN` as it is
# read; the variables it names are defined below (expanded when clean runs).
# libFuzzer writes crash-*, leak-*, timeout-*, oom-* and slow-unit-* to the
# current directory when a fuzz binary is run by hand.
EXTRA_CLEAN = $(UNIT_BIN) results regression.diffs regression.out test/isolation/output_iso \
              $(FUZZ_BINS) test/fuzz/artifacts crash-* leak-* timeout-* oom-* slow-unit-*

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies (Debian's server-dev is not built with
# --enable-depend): every object is rebuilt when any header changes, so an
# enum or struct change can never leave two objects disagreeing.
$(OBJS): $(wildcard $(srcdir)/src/*/*.hpp)

# ---------------------------------------------------------------------------
# Unit tests of the core: plain C++17, no PostgreSQL, GoogleTest.
# ---------------------------------------------------------------------------
UNIT_SRCS  = $(wildcard test/unit/*.cpp)
UNIT_BIN   = test/unit/exp_assign_unit
UNIT_FLAGS = -std=c++17 -O1 -g -Wall -Wextra $(WERROR) -Isrc

# test/unit/main.cpp is the binary's own main (it takes --vectors=PATH and
# --profile-vectors=DIR), so no -lgtest_main.
$(UNIT_BIN): $(UNIT_SRCS) $(wildcard test/unit/*.hpp) $(CORE_SRCS) $(wildcard src/core/*.hpp)
	@mkdir -p $(@D)
	$(CXX) $(UNIT_FLAGS) -o $@ $(UNIT_SRCS) $(CORE_SRCS) -l:libmurmurhash.a -lgtest -pthread

.PHONY: unit
unit: $(UNIT_BIN)
	./$(UNIT_BIN) --vectors=$(VECTORS) --profile-vectors=$(PROFILE_VECTORS)

VECTORS ?= $(abspath $(srcdir)/../shared/vectors/mmh3_buckets.tsv)
# The compatible profiles' vectors (docs/profiles.md), kept in the tree.
PROFILE_VECTORS ?= $(abspath $(srcdir)/test/unit/vectors)

# ---------------------------------------------------------------------------
# Benchmarks: scripts, not tests (they print figures and pass or fail nothing
# on speed). Need the extension installed.
# ---------------------------------------------------------------------------
.PHONY: bench
bench:
	bench/run

# The Redis push worker: drain rate against a bare pipelined SETEX loop,
# commit-to-visible latency, and the queue's cost on the hot path.
.PHONY: bench-push
bench-push:
	bench/push_run

# ---------------------------------------------------------------------------
# Fuzz targets of the core: libFuzzer with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang), one binary per test/fuzz/<target>.cpp
# with the core sources compiled in. `make fuzz` builds them and runs each
# for FUZZ_SECONDS from a temporary copy of its seed corpus
# test/fuzz/corpus/<target>/ (test/fuzz/run); a crash, a sanitizer report or
# an oracle mismatch fails it, its input in test/fuzz/artifacts/.
# ---------------------------------------------------------------------------
FUZZ_CXX     ?= clang++
FUZZ_SECONDS ?= 60
FUZZ_TARGETS  = $(basename $(notdir $(wildcard test/fuzz/*.cpp)))
FUZZ_BINS     = $(addprefix test/fuzz/,$(FUZZ_TARGETS))
# Every undefined behaviour aborts, so libFuzzer counts it as a crash.
FUZZ_FLAGS    = -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -Wall -Wextra $(WERROR) -Isrc

# The old binary goes first, so a failed build never leaves it to be run.
$(FUZZ_BINS): test/fuzz/%: test/fuzz/%.cpp $(wildcard test/fuzz/*.hpp test/unit/*.hpp) $(CORE_SRCS) $(wildcard src/core/*.hpp)
	@rm -f $@
	$(FUZZ_CXX) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRCS) -l:libmurmurhash.a

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) test/fuzz/run
