# Thin wrapper over CMake. Every target installs missing packages first.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_TSAN ?= build-tsan
BUILD_RELEASE ?= build-release
BUILD_CLANG ?= build-clang
JOBS       ?= 2
FUZZ_SECONDS ?= 30
# libFuzzer's seed: fixed, so that CI explores the same way each run; `make fuzz
# FUZZ_SEED=0` takes a fresh one (and prints it), `FUZZ_SEED=n` replays run n.
FUZZ_SEED  ?= 20261207
CMAKE_FLAGS ?=
# The project's own builds treat warnings as errors; a plain `cmake` build does not.
DEV_FLAGS  = -DCLAUSEGATE_WERROR=ON
# ccache serves every clone alike: paths are taken relative to the checkout, and the
# build directory is not part of the key (debug info then names the first clone's
# directory, which only a debugger notices).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps build build-release run test test-asan test-tsan test-release test-clang build-matrix fuzz e2e bench bench-webhook bench-peers clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(DEV_FLAGS) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	bash scripts/run.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCLAUSEGATE_SANITIZE=ON -DCLAUSEGATE_BENCH=OFF $(DEV_FLAGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -LE fresh-clone

# Concurrency: the threaded tests (the webhook under concurrent and hostile clients,
# reloads and rotation, the HTTP layer's shutdown; programs shared by threads; the
# background audit and its leader election) under ThreadSanitizer.
test-tsan: deps
	cmake -S . -B $(BUILD_TSAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLAUSEGATE_TSAN=ON -DCLAUSEGATE_BENCH=OFF $(DEV_FLAGS)
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target clausegate unit_common unit_cel unit_server unit_kube
	cd $(BUILD_TSAN) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure -R 'server_webhook|server_hostile|unit_common|unit_server|unit_kube|unit_cel|audit_background'

# The build that ships (the image's): -O3, NDEBUG and GCC's profile-guided
# optimisation, trained on the policy library's own suites (scripts/pgo-build.sh).
build-release: deps
	JOBS=$(JOBS) bash scripts/pgo-build.sh $(BUILD_RELEASE) $(DEV_FLAGS)

# Every test but the fresh clone (make test runs that one) on the build that ships.
test-release: build-release
	cd $(BUILD_RELEASE) && ctest --output-on-failure -j $(JOBS) -LE fresh-clone

# The other compiler, at the size-optimised build type.
test-clang: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_CLANG) -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DCLAUSEGATE_BENCH=OFF $(DEV_FLAGS)
	cmake --build $(BUILD_CLANG) -j $(JOBS)
	cd $(BUILD_CLANG) && ctest --output-on-failure -j $(JOBS) -LE fresh-clone

# Every build type with GCC and with clang, warnings as errors (on demand: about
# half an hour cold on two cores, much less with a warm ccache).
build-matrix: deps
	bash scripts/build-matrix.sh $(JOBS)

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCLAUSEGATE_FUZZ=ON -DCLAUSEGATE_BENCH=OFF $(DEV_FLAGS)
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_cel fuzz_policy
	mkdir -p $(BUILD_FUZZ)/corpus/cel $(BUILD_FUZZ)/corpus/policy
	$(BUILD_FUZZ)/tests/fuzz_cel -seed=$(FUZZ_SEED) -max_total_time=$(FUZZ_SECONDS) -max_len=512 -rss_limit_mb=2048 \
	  $(BUILD_FUZZ)/corpus/cel tests/fuzz/corpus/cel
	$(BUILD_FUZZ)/tests/fuzz_policy -seed=$(FUZZ_SEED) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
	  $(BUILD_FUZZ)/corpus/policy tests/fuzz/corpus/policy

# End to end against a real kube-apiserver and etcd (built once from the Go module
# proxy into ~/.cache/clausegate-e2e), with helm and kubectl: tests/e2e/README.md.
e2e: build
	@bash scripts/install-deps.sh --e2e
	bash tests/e2e/run.sh $(BUILD)/controller/cli/clausegate
	bash tests/e2e/node/chart_test.sh

# The benchmarks measure the build that ships.
bench: build-release
	bash scripts/bench.sh $(BUILD_RELEASE)

bench-webhook: build-release
	bash scripts/bench-webhook.sh $(BUILD_RELEASE)

# clausegate check against Kyverno's CLI, gator and conftest on one generated corpus
# with equivalent restricted-profile policy sets (not in CI: the peers are built once
# from the Go module proxy into ~/.cache/clausegate-peers).
bench-peers: build-release
	bash scripts/bench-peers.sh $(BUILD_RELEASE)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_TSAN) $(BUILD_RELEASE) $(BUILD_RELEASE)-instrumented $(BUILD_CLANG) build-matrix
