# The two commands of the README:
#   make run    installs what is missing, builds, starts llamachat on 0.0.0.0:$PORT (8080 by default)
#   make test   installs what is missing, builds, runs every test, prints line coverage of src/
#               (one build with coverage AND AddressSanitizer + UndefinedBehaviorSanitizer: every test
#               runs under the sanitizers, and the coverage gate is checked on the same run)
# More: make build, make sanitize (sanitizers without coverage), make bench, make soak, make clean,
#       make format (clang-format in place), make tidy (clang-tidy over src/), make lint (every static check),
#       make fuzz (every libFuzzer target for FUZZ_SECONDS each, clang), make tsan (unit + integration tests
#       under ThreadSanitizer with TSAN_THREADS server threads).
# Each build is a preset of CMakePresets.json (build/<preset>): release, test, asan, bench, dev, tsan, fuzz.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
COVERAGE_MIN ?= 85
FUZZ_SECONDS ?= 60
TSAN_THREADS ?= 4
# What a complete build takes on disk, with a tenth to spare: a fresh clone's build/test held 5102 MiB after make
# test and build/tsan 1427 MiB after make tsan (README, "Development"). make test and make tsan
# stop at once with a clear message when the disk cannot hold what is left to build (scripts/check_disk.sh).
DISK_TEST_MIB ?= 5600
DISK_TSAN_MIB ?= 1600
# Left out of make tsan: a backpressure test whose emulator must build a 30 MB stream before the first
# event, which takes longer than the test's first deadline under ThreadSanitizer; it has no threads of
# interest (one connection) and runs in make test under ASan.
TSAN_EXCLUDE ?= ^Streaming\.ASlowReaderSlowsTheUpstreamAndMemoryStaysBounded$$

.PHONY: run build test sanitize fuzz tsan bench bench-build clean setup-run setup-test setup-fuzz format tidy lint soak

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

setup-fuzz:
	@scripts/setup.sh fuzz

build: setup-run
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

run: build
	exec build/release/src/llamachat

test: setup-test
	scripts/check_disk.sh build/test $(DISK_TEST_MIB)
	cmake --preset test
	cmake --build --preset test -j $(JOBS)
	find build/test -name '*.gcda' -delete
	ctest --preset test -j $(JOBS)
	/usr/bin/python3 tools/gcovr_compat.py --root . --filter 'src/' --exclude '.*_test\.cpp' --object-directory build/test \
	  --gcov-ignore-parse-errors --exclude-unreachable-branches \
	  --print-summary --fail-under-line $(COVERAGE_MIN)

sanitize: setup-test
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# libFuzzer needs clang: its own build (build/fuzz) of only the libraries the targets link. make test
# replays the same harnesses over their corpus in the test build (ctest -L fuzz).
fuzz: setup-fuzz
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# The unit and integration tests under ThreadSanitizer; every service they start runs TSAN_THREADS workers.
tsan: setup-test
	scripts/check_disk.sh build/tsan $(DISK_TSAN_MIB)
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	LLAMACHAT_THREADS=$(TSAN_THREADS) ctest --preset tsan -j $(JOBS) -L 'unit|integration' -E '$(TSAN_EXCLUDE)'

bench:
	bench/run.sh $(BENCH_ARGS)

# The soak test, long form (tests/soak/soak.py): an optimised build of llamachat and both test upstreams,
# SOAK_SECONDS of mixed load with injected faults; prints the RSS and descriptor figures. SOAK_ARGS adds options
# (e.g. --concurrency 32, --half-close-lenient while a half-closed client may go unanswered).
SOAK_SECONDS ?= 300
SOAK_ARGS ?=
soak: setup-test
	cmake -S . -B build/soak -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMACHAT_BUILD_TESTS=ON -DLLAMACHAT_BUILD_BENCH=OFF
	cmake --build build/soak -j $(JOBS) --target llamachat llamachat-bedrock-emulator llamachat-openai-upstream
	/usr/bin/python3 tests/soak/soak.py --llamachat build/soak/src/llamachat \
	  --emulator build/soak/emulator/llamachat-bedrock-emulator \
	  --openai-upstream build/soak/emulator/llamachat-openai-upstream --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

format:
	tools/format.sh

# clang-tidy needs a compile_commands.json: the first build/*/ that has one, else a configured release tree.
tidy:
	@ls build/*/compile_commands.json >/dev/null 2>&1 || cmake --preset release >/dev/null
	tools/tidy.sh

lint:
	tools/check_layering.sh
	/usr/bin/python3 tools/check_coroutine_rules.py --self-test
	/usr/bin/python3 tools/check_coroutine_rules.py
	tools/format.sh --check
	$(MAKE) --no-print-directory tidy

clean:
	rm -rf build
