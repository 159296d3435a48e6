# Convenience wrapper around CMake; keeps the seed's targets.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all azure-iptables-monitor test-azure-iptables-monitor packages configure clean

all: azure-iptables-monitor

configure:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

azure-iptables-monitor: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The package tests (packaging.*_nspawn_e2e) install what `packages` built.
test-azure-iptables-monitor: azure-iptables-monitor packages
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# .deb and .rpm into $(BUILD_DIR)/packages, linted.
packages:
	OUT=$(CURDIR)/$(BUILD_DIR)/packages ./scripts/build-packages.sh all

clean:
	rm -rf $(BUILD_DIR)
