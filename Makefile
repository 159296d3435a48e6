# Convenience wrapper around CMake; keeps the seed's targets.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all azure-iptables-monitor test-azure-iptables-monitor configure clean

all: azure-iptables-monitor

configure:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

azure-iptables-monitor: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test-azure-iptables-monitor: azure-iptables-monitor
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
