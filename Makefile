# exp_assign: PGXS build of the extension, plus the unit tests of the core.
# exp_assign_proxy (SQL only, PL/Proxy) goes in a proxy database in front of
# shards that run exp_assign: docs/proxy.md.
EXTENSION   = exp_assign exp_assign_proxy
MODULE_big  = exp_assign
EXTVERSION  = 0.3
# CREATE EXTENSION runs the full script of the default version,
# exp_assign--0.3.sql; the older versions and the upgrades from them stay
# installed, and the regress test catalog_upgrade checks that every path
# gives the same catalog.
DATA        = sql/exp_assign--0.1.sql sql/exp_assign--0.1--0.2.sql sql/exp_assign--0.2.sql \
              sql/exp_assign--0.2--0.3.sql sql/exp_assign_proxy--0.1.sql
# The full 0.3 script is 0.2's followed by the upgrade, so the two paths run
# the same statements. (Each file's \echo guard is dropped by CREATE
# EXTENSION, which removes every \echo line.)
DATA_built  = sql/exp_assign--0.3.sql

CORE_SRCS   = $(wildcard src/core/*.cpp)
PG_SRCS     = $(wildcard src/pg/*.cpp) $(wildcard src/worker/*.cpp)
OBJS        = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)
SHLIB_PREREQS = src/pg/exports.map

# pg_regress inputs in test/regress/sql/, outputs in test/regress/expected/
# (PostgreSQL 15 reads both from --inputdir); results/ and regression.diffs
# are written to the top folder, pg_regress's default --outputdir.
REGRESS      = bucket get_or_create explain encoding cohort_query upgrade catalog_upgrade
REGRESS_OPTS = --inputdir=test/regress

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

sql/exp_assign--0.3.sql: sql/exp_assign--0.2.sql sql/exp_assign--0.2--0.3.sql
	cat $^ > $@

# PGXS tracks no header dependencies (Debian's server-dev is not built with
# --enable-depend): every object is rebuilt when any header changes, so an
# enum or struct change can never leave two objects disagreeing.
$(OBJS): $(wildcard $(srcdir)/src/*/*.hpp)

# ---------------------------------------------------------------------------
# Unit tests of the core: plain C++17, no PostgreSQL, GoogleTest.
# ---------------------------------------------------------------------------
UNIT_SRCS  = $(wildcard test/unit/*.cpp)
# The worker's PostgreSQL-free parsing of CLUSTER SLOTS is unit-tested too.
UNIT_WORKER_SRCS = src/worker/cluster_slots_reply.cpp
UNIT_BIN   = test/unit/exp_assign_unit
UNIT_FLAGS = -std=c++17 -O1 -g -Wall -Wextra $(WERROR) -Isrc

# test/unit/main.cpp is the binary's own main (it takes --vectors=PATH and
# --profile-vectors=DIR), so no -lgtest_main.
$(UNIT_BIN): $(UNIT_SRCS) $(wildcard test/unit/*.hpp) $(CORE_SRCS) $(wildcard src/core/*.hpp) $(UNIT_WORKER_SRCS)
	@mkdir -p $(@D)
	$(CXX) $(UNIT_FLAGS) -o $@ $(UNIT_SRCS) $(CORE_SRCS) $(UNIT_WORKER_SRCS) -l:libmurmurhash.a -lgtest -pthread

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
	bench/design

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

# ---------------------------------------------------------------------------
# Debian package postgresql-15-exp-assign (debhelper + pg_buildext, debian/),
# built from a clean copy of the tree into build/deb/; test/deb/run installs
# it into a clean cluster. docs/packaging.md.
# ---------------------------------------------------------------------------
.PHONY: deb
deb:
	tools/build-deb
# The Python client (clients/python) against the seed's own service, a page
# load of 10 experiments, all cached and none cached (docs/client.md).
.PHONY: bench-client
bench-client:
	bench/client/run

# ---------------------------------------------------------------------------
# make lint: clang-tidy (.clang-tidy: bugprone-*, performance-*, findings are
# errors) over every source of src/, two at a time, with the flags the build
# uses. LINT_SRCS may name other files (test/run-all's self-test does).
# ---------------------------------------------------------------------------
CLANG_TIDY ?= clang-tidy
LINT_SRCS  ?= $(CORE_SRCS) $(PG_SRCS)
.PHONY: lint
lint:
	@printf '%s\n' $(LINT_SRCS) | xargs -P2 -n1 sh -c '$(CLANG_TIDY) --quiet "$$0" -- -std=c++17 -I$(srcdir)/src -I$(shell $(PG_CONFIG) --includedir-server) >"$$0.lint" 2>&1; rc=$$?; grep -v "warnings generated" "$$0.lint"; rm -f "$$0.lint"; exit $$rc'
	@echo "lint: clean ($(words $(LINT_SRCS)) files)"

# ---------------------------------------------------------------------------
# One suite at a time, with the clusters and servers it needs, from any
# directory: make check-pgtap, make check-redis, ... (= test/run-all SUITE).
# regress-list prints the pg_regress tests the runner plans for.
# ---------------------------------------------------------------------------
check-%:
	$(abspath $(srcdir))/test/run-all $*

.PHONY: regress-list
regress-list:
	@echo $(REGRESS)
