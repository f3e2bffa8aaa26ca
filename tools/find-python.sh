#!/usr/bin/env bash
# Prints the path of a Python interpreter that can import the modules named as arguments
# (default: h5py numpy matplotlib). Prefers the first python3 on PATH if it has them, then
# Debian's /usr/bin/python3 (where python3-h5py and python3-matplotlib install).
set -u
modules=("$@")
((${#modules[@]})) || modules=(h5py numpy matplotlib)
import_line="import $(IFS=,; echo "${modules[*]}")"
for candidate in "$(command -v python3 2>/dev/null)" /usr/bin/python3; do
  [[ -n "$candidate" && -x "$candidate" ]] || continue
  if MPLBACKEND=Agg "$candidate" -c "$import_line" >/dev/null 2>&1; then
    echo "$candidate"
    exit 0
  fi
done
echo "find-python: no python3 can import: ${modules[*]} (run tools/install-deps.sh)" >&2
exit 1
