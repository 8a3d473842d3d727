# The two commands of the README:
#   make run    installs what is missing, builds, starts llamachat on 0.0.0.0:$PORT (8080 by default)
#   make test   installs what is missing, builds, runs every test, prints line coverage of src/
#               (one build with coverage AND AddressSanitizer + UndefinedBehaviorSanitizer: every test
#               runs under the sanitizers, and the coverage gate is checked on the same run)
# More: make build, make sanitize (sanitizers without coverage), make bench, make clean.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
COVERAGE_MIN ?= 85
GENERATOR := -G Ninja

.PHONY: run build test sanitize bench bench-build clean setup-run setup-test

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

build: setup-run
	cmake -S . -B build/release $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DLLAMACHAT_BUILD_TESTS=OFF -DLLAMACHAT_BUILD_BENCH=OFF
	cmake --build build/release --target llamachat -j $(JOBS)

run: build
	exec build/release/src/llamachat

SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test: setup-test
	cmake -S . -B build/test $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DLLAMACHAT_COVERAGE=ON -DLLAMACHAT_SANITIZE=ON
	cmake --build build/test -j $(JOBS)
	find build/test -name '*.gcda' -delete
	cd build/test && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) --timeout 300
	/usr/bin/python3 tools/gcovr_compat.py --root . --filter 'src/' --exclude '.*_test\.cpp' --object-directory build/test \
	  --gcov-ignore-parse-errors --exclude-unreachable-branches \
	  --print-summary --fail-under-line $(COVERAGE_MIN)

sanitize: setup-test
	cmake -S . -B build/asan $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DLLAMACHAT_SANITIZE=ON -DLLAMACHAT_BUILD_BENCH=OFF
	cmake --build build/asan -j $(JOBS)
	cd build/asan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) --timeout 300

bench:
	bench/run.sh $(BENCH_ARGS)

clean:
	rm -rf build
