#!/usr/bin/env bash
# System tools the tests use beside the Python environment: Debian's ffmpeg (the tests compare its
# outputs with the imageio-ffmpeg wheel's, as a cluster's ffmpeg module would differ) and Debian's
# headless Chromium with its driver (the dataset browser's pages are tested in it). Needs root and
# apt-get (CI runs as root); elsewhere it says what is missing and leaves the machine alone.
# Usage: envs/install-system.sh   (idempotent)
set -euo pipefail
need=()
[ -x /usr/bin/ffmpeg ] || need+=(ffmpeg)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-system: not root or no apt-get; the tests that need ${need[*]} will say so (install it: apt-get install ${need[*]})" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-system: installed ${need[*]}"
