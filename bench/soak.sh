#!/bin/sh
# Soak: the service checking back to back (driven by reload signals) on a 1,000-service
# node against the test API server; prints RSS and open file descriptors
# after 200 cycles and at the end. Default 10,000 cycles (~12 minutes).
# Run as root after building.
set -eu
cd "$(dirname "$0")/.."
AIM_SOAK_CYCLES=${1:-10000} build/tests/integration_tests --gtest_filter='DaemonTest.SoakHasFlatMemoryAndDescriptors' | grep -E 'soak:|OK|FAILED|Failure|Expected|Which is'
