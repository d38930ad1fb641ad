#!/usr/bin/env bash
# Idempotent set-up on Debian 12 / Ubuntu: the Debian packages every target needs, then a
# virtual environment (.venv) with hilbench and its Python dependencies from PyPI.
# Nothing is downloaded at run time afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  gcc g++ make python3 python3-venv python3-dev binutils    # host target, Verilator builds
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm # Cortex-M4 (QEMU mps2-an386, ISS)
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf      # RISC-V firmware for rtl/
  yosys                                                     # area of rtl/ core and extension
  openssh-server                                            # ssh backend tests (loopback sshd)
  dataset-fashion-mnist                                     # Fashion-MNIST recipe (harness/datasets)
  chromium chromium-driver poppler-utils                    # HTML report test (headless), pdffonts
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)" >&2
  "$python" -m venv .venv
fi
# Reinstall only when the project's dependency list or its pinned versions changed.
stamp=.venv/.hilbench-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages into .venv" >&2
  .venv/bin/python -m pip install -q 'pip==26.3'
  # constraints.txt pins every package to a version set known to work together: without it
  # pip's resolver backtracks through hundreds of releases and stops with resolution-too-deep.
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[test,rtl,compress,boards,data,ray]'
  echo "$want" > "$stamp"
fi
