#!/usr/bin/env bash
# Installs the Debian 12 packages scripts/train-demo-models.py needs (PyTorch, matplotlib for the
# loss curve, and the King James Bible text it trains tiny-gpt on). Kept apart from install-deps.sh
# so that building and testing attnviz (and CI) never pull in PyTorch: the trained models are
# committed under assets/models/.
set -euo pipefail

packages=(
  python3-torch       # training (Debian's 1.13.1, CPU only)
  python3-numpy
  python3-matplotlib  # the loss curve in each model card
  python3-regex       # GPT-2's pre-tokenisation pattern (\p{L}, \p{N}) for the BPE the script trains
  bible-kjv           # tiny-gpt's training text: the King James Bible (public domain), and the program that prints it
)

source "$(dirname "${BASH_SOURCE[0]}")/apt_packages.bash"
mapfile -t missing < <(missing_debian_packages "${packages[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
install_debian_packages "${missing[@]}"
