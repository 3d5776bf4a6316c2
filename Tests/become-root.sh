# Sourced first by the README's commands (samples/quickstart.sh, Tests/run.sh), so that
# `bash SCRIPT` works both on a root shell without sudo (containers, minimal hosts, CI images)
# and for a user with sudo: as root it does nothing; otherwise it re-runs the script with
# sudo, keeping PATH (sudo's secure_path usually hides the Swift toolchain) and the CI and
# MIGFW_* variables the scripts read.
#
#   become_root "${BASH_SOURCE[0]}" "$@"
become_root() {
  local script=$1
  shift
  [ "$(id -u)" = 0 ] && return 0
  local name
  name=$(basename "$script")
  if [ -n "${MIGFW_BECAME_ROOT:-}" ]; then
    echo "$name: still not root after sudo" >&2
    exit 1
  fi
  if ! command -v sudo >/dev/null 2>&1; then
    echo "$name: run it as root (network namespaces and nftables need root); sudo is not installed" >&2
    exit 1
  fi
  local keep=("PATH=$PATH" MIGFW_BECAME_ROOT=1) variable
  for variable in $(compgen -e); do
    case $variable in CI|MIGFW_*) keep+=("$variable=${!variable}") ;; esac
  done
  echo "$name: not root: re-running with sudo" >&2
  exec sudo env "${keep[@]}" bash "$script" "$@"
}
