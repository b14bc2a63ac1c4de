#!/usr/bin/env bash
# Install test for packagers: builds the .deb (unless given one), installs it with apt/dpkg,
# starts the installed binary headless under Xvfb with --mock, checks it prints its version and
# reaches the connected state with the embedded mock backend, then removes the package and checks
# nothing is left. Prints the sizes of the .deb and the installed binary (target: .deb < 15 MB).
# Needs root (or sudo) because it really installs the package.
set -euo pipefail
cd "$(dirname "$0")/../.."

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

deb="${1:-}"
if [ -z "$deb" ]; then
  ./scripts/package >/dev/null
  deb=$(ls -t target/release/bundle/deb/*.deb | head -n 1)
fi
[ -f "$deb" ] || { echo "install-test: no .deb at $deb" >&2; exit 1; }
package=$(dpkg-deb --field "$deb" Package)
version=$(dpkg-deb --field "$deb" Version)
echo "install-test: $deb ($package $version)"
# Emoji and Hangul come from the system's fonts: the package asks for them (apt installs
# recommendations by default; this test skips them to stay small).
recommends=$(dpkg-deb --field "$deb" Recommends)
for font in fonts-noto-color-emoji fonts-noto-cjk; do
  case ", $recommends," in
    *", $font,"*) ;;
    *) echo "install-test: the package does not recommend $font (Recommends: $recommends)" >&2; exit 1 ;;
  esac
done

cleanup() { $sudo dpkg --purge "$package" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# apt resolves the declared dependencies the way a user's install would.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "./$deb" >/dev/null
binary=$(dpkg -L "$package" | grep -E '/bin/outlast$' | head -n 1)
[ -x "$binary" ] || { echo "install-test: the package installed no outlast binary" >&2; exit 1; }
desktop=$(dpkg -L "$package" | grep -E '\.desktop$' | head -n 1)
[ -n "$desktop" ] || { echo "install-test: no desktop entry installed" >&2; exit 1; }

printed=$(env -u DISPLAY "$binary" --version)
[ "$printed" = "outlast $version" ] || { echo "install-test: --version printed '$printed', expected 'outlast $version'" >&2; exit 1; }
echo "install-test: --version: $printed"

# Start the installed app with its embedded mock backend and wait (bounded) for the core to log
# the connected state.
log=$(mktemp)
export HOME_BACKUP="$HOME"
export HOME=$(mktemp -d)
# In a session of its own (setsid: the runner leads a new process group) with a private D-Bus
# session bus (dbus-run-session keeps it a child, where an autolaunched bus would daemonize away),
# so the test ends exactly what it started, xvfb-run, its X server, the bus and the app, by
# process group: never by name, which on a packager's desktop would also end their own Outlast.
setsid xvfb-run -a -s "-screen 0 1280x800x24" \
  dbus-run-session -- env RUST_LOG=info NO_AT_BRIDGE=1 "$binary" --mock >"$log" 2>&1 &
runner=$!
connected=0
for _ in $(seq 1 600); do
  if grep -q 'connection state.*Connected' "$log"; then connected=1; break; fi
  kill -0 "$runner" 2>/dev/null || break
  sleep 0.1
done
kill -TERM -- "-$runner" 2>/dev/null || true
# Given 5 s to end politely, then ended for good.
for _ in $(seq 1 50); do
  kill -0 -- "-$runner" 2>/dev/null || break
  sleep 0.1
done
kill -KILL -- "-$runner" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
export HOME="$HOME_BACKUP"
if [ "$connected" != 1 ]; then
  echo "install-test: the installed app never reached the connected state; its output:" >&2
  cat "$log" >&2
  exit 1
fi
echo "install-test: the installed app started under Xvfb and connected to its embedded mock backend"

deb_size=$(stat -c %s "$deb")
bin_size=$(stat -c %s "$binary")
installed_kib=$(dpkg-query -W -f='${Installed-Size}' "$package")

$sudo dpkg --purge "$package" >/dev/null
trap - EXIT
if [ -e "$binary" ] || dpkg-query -W "$package" >/dev/null 2>&1; then
  echo "install-test: removal left $binary or the package record behind" >&2
  exit 1
fi
echo "install-test: removed cleanly"

awk -v d="$deb_size" -v b="$bin_size" -v k="$installed_kib" 'BEGIN {
  printf "install-test: .deb size        %6.2f MiB (%d bytes; target < 15 MB)\n", d / 1048576, d
  printf "install-test: installed binary %6.2f MiB; package installed size %d KiB\n", b / 1048576, k
}'
[ "$deb_size" -lt 15000000 ] || { echo "install-test: the .deb is over 15 MB" >&2; exit 1; }
echo "install-test: PASS"
