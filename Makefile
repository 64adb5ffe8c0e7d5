# SDVM. On a fresh Debian 12 or Debian 13 machine, as root:
#   make check   installs what it needs, builds (with ASan/UBSan) and runs every test
#   make demo    installs what it needs, builds and runs the lab-in-a-box
# Other targets: deps, build, check-quick (check without the long tiers fresh and terminal),
# check-terminal (the terminal VM tier alone), bench, clean.
BUILD_DIR ?= build/release
CHECK_DIR ?= build/check
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=

.PHONY: all deps build check check-quick check-terminal bench demo clean

all: build

deps:
	./packaging/deps/install

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSDVM_SANITIZE=OFF \
		-DSDVM_BUILD_GREETER=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)

check: deps
	cmake -S . -B $(CHECK_DIR) -DCMAKE_BUILD_TYPE=Debug -DSDVM_SANITIZE=ON \
		-DSDVM_BUILD_GREETER=ON $(CMAKE_FLAGS)
	cmake --build $(CHECK_DIR) -j$(JOBS)
	cd $(CHECK_DIR) && ctest --output-on-failure -j$(JOBS) $(CTEST_FLAGS)

# Everything but the long tiers (fresh Debian roots, the booted terminal VM): for local work.
check-quick: CTEST_FLAGS += -LE "fresh|terminal"
check-quick: check

# The terminal VM tier alone (tests/terminal; with the .debs, the bed and the tiny guest it
# needs as ctest fixtures). make check runs it too.
check-terminal: CMAKE_FLAGS += -DSDVM_TERMINAL_TESTS=ON
check-terminal: CTEST_FLAGS += -L terminal
check-terminal: check

# The lab-in-a-box (demo/run). LOGIN=user@realm PASSWORD=... runs one scripted login.
demo: build
	LOGIN="$(LOGIN)" PASSWORD="$(PASSWORD)" ./demo/run $(BUILD_DIR)

bench: build
	cmake --build $(BUILD_DIR) --target bench -j$(JOBS)
	./bench/run-all $(BUILD_DIR)

clean:
	rm -rf build
