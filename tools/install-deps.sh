#!/usr/bin/env bash
# Installs the Debian 12 packages spikingbert needs, and only those that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
# Works as root or through sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost-graph-dev libtbb-dev libhdf5-dev hdf5-tools catch2 libeigen3-dev
  nlohmann-json3-dev libcli11-dev
  libopenmpi-dev openmpi-bin   # MPI: mpirun -np N spikingbert ... (docs/scaling.md); optional for the build
  python3-h5py python3-matplotlib python3-numpy
  pybind11-dev python3-pybind11 python3-dev python3-pytest   # the Python module (docs/python.md) and its tests
  clang-14 libclang-rt-14-dev   # libFuzzer and its sanitizer runtimes (tools/fuzz.sh, run by tools/test.sh)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: error: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 2
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
