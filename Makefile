# Convenience wrapper around CMake; keeps the seed's targets.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all azure-iptables-monitor azure-iptables-monitor-image test-azure-iptables-monitor packages configure clean

all: azure-iptables-monitor

configure:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

azure-iptables-monitor: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The container image (no registry needed): localhost/azure-iptables-monitor:<version>
# and :latest in podman's storage, and $(BUILD_DIR)/azure-iptables-monitor-image.tar
# (OCI archive). See scripts/build-image.sh. Builds the program only (CMake's
# azure-iptables-monitor-image target), not the test suite.
azure-iptables-monitor-image: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target azure-iptables-monitor-image

# The package tests (packaging.*_nspawn_e2e) install what `packages` built.
test-azure-iptables-monitor: azure-iptables-monitor packages
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# .deb and .rpm into $(BUILD_DIR)/packages, linted.
packages:
	OUT=$(CURDIR)/$(BUILD_DIR)/packages ./scripts/build-packages.sh all

clean:
	rm -rf $(BUILD_DIR)
