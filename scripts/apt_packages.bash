# Sourced by the install scripts: finds which Debian packages are missing and installs them,
# as root directly, otherwise through passwordless sudo; without either it prints the command.
# Usage: mapfile -t missing < <(missing_debian_packages P...); install_debian_packages "${missing[@]}"

# Prints the given packages that dpkg does not report as installed, one a line.
missing_debian_packages() {
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      echo "$p"
    fi
  done
}

# Installs exactly the packages given (the caller has already dropped installed ones).
install_debian_packages() {
  [ $# -eq 0 ] && return 0
  local sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo_cmd=(sudo)
    else
      echo "attnviz: missing Debian packages; install them with:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y $*" >&2
      return 1
    fi
  fi
  echo "attnviz: installing $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}
