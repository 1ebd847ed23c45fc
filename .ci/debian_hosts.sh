#!/usr/bin/env bash
# Debian chroots with the newest hosts, beside the checkout under .hosts/ (gitignored):
#   .hosts/debian-sid           krita 5.3.x (Qt 5), blender 5.2.x, xvfb, python3-numpy
#   .hosts/debian-experimental  krita 6.0.x (Qt 6, PyQt6) from experimental, xvfb
# Mixing sid packages into this Debian 12 would upgrade its C library, hence chroots (see the hosts notes).
#
# Usage:
#   .ci/debian_hosts.sh [build] [sid|experimental]...   build (default both); a chroot whose stamp shows the
#                                                        right versions is kept as it is
#   .ci/debian_hosts.sh run NAME [-b DIR]... [-e VAR=VALUE]... -- COMMAND...
#       run COMMAND inside .hosts/debian-NAME with /proc, /sys, /dev, the host's /tmp and each DIR bind-mounted
#       at the same path, HOME and XDG_RUNTIME_DIR set (override with -e). The mounts live in a private mount
#       namespace (unshare), so they vanish when the command ends, also when it fails or is killed, and two
#       runs at once do not disturb each other. The host's /tmp is shared so that tests' temp folders and
#       xvfb-run's display locks are the same on both sides (Xvfb's abstract sockets are not chrooted).
#   .ci/debian_hosts.sh versions NAME                    print the stamp (package versions) of a built chroot
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hosts=$root/.hosts

mirror() {  # the Debian archive this machine's own apt uses (deb822 or one-line sources), not the security one
  local url
  url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)
  echo "${url:-http://deb.debian.org/debian}"
}

# What each chroot holds: suite to bootstrap, apt target release, packages, and the versions it must show.
packages_of() {
  case $1 in
    sid) echo "krita blender xvfb xauth python3-numpy python3-venv python3-pip" ;;
    experimental) echo "krita xvfb xauth python3-venv python3-pip" ;;
    *) echo "debian_hosts: unknown chroot '$1' (sid or experimental)" >&2; exit 2 ;;
  esac
}
wanted_versions() {  # PACKAGE=VERSION-PREFIX pairs the stamp must match
  case $1 in
    sid) echo "krita=1:5.3 blender=5.2" ;;
    experimental) echo "krita=1:6.0" ;;
  esac
}

stamp_ok() {  # NAME: the chroot is built and its stamp shows the wanted versions
  local dir=$hosts/debian-$1 pair pkg prefix got
  [ -f "$dir/.stamp" ] || return 1
  for pair in $(wanted_versions "$1"); do
    pkg=${pair%%=*}; prefix=${pair#*=}
    got=$(awk -v p="$pkg" '$1 == p {print $2}' "$dir/.stamp")
    case $got in "$prefix"*) ;; *) return 1 ;; esac
  done
}

mounted_under() {  # DIR: is anything (still) mounted below DIR in this namespace? Never rm -rf over a mount.
  awk -v d="$1/" 'index($2 "/", d) == 1 {found = 1} END {exit !found}' /proc/self/mounts
}

in_chroot() {  # DIR [-b DIR]... [-e VAR=VALUE]... -- COMMAND...
  local dir=$1; shift
  local binds=() envs=()
  while [ $# -gt 0 ]; do
    case $1 in
      -b) binds+=("$(cd "$2" && pwd)"); shift 2 ;;
      -e) envs+=("$2"); shift 2 ;;
      --) shift; break ;;
      *) echo "debian_hosts: run: unexpected '$1' (want -b DIR, -e VAR=VALUE, then -- COMMAND)" >&2; exit 2 ;;
    esac
  done
  [ $# -gt 0 ] || { echo "debian_hosts: run: no command after --" >&2; exit 2; }
  [ -x "$dir/bin/sh" ] || { echo "debian_hosts: $dir is not a built chroot (run .ci/debian_hosts.sh build)" >&2; exit 2; }
  # The mount script runs in the private namespace; its arguments: chroot, binds..., '--', env..., '--', command...
  unshare --mount --propagation private -- bash -euc '
    dir=$1; shift
    mount --rbind /proc "$dir/proc"; mount --rbind /sys "$dir/sys"; mount --rbind /dev "$dir/dev"
    mount --bind /tmp "$dir/tmp"
    while [ "$1" != -- ]; do mkdir -p "$dir$1"; mount --bind "$1" "$dir$1"; shift; done; shift
    envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
    # resolv.conf and the CA bundle for pip and apt inside: the chroot trusts what this machine trusts (the
    # egress proxy CA included); both are plain copies, refreshed each run
    cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
      mkdir -p "$dir/etc/ssl/certs"; cp -L /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
    fi
    mkdir -p -m 0700 "$dir/run/user/0"
    exec chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root XDG_RUNTIME_DIR=/run/user/0 LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
      "${envs[@]}" "$@"
  ' in_chroot "$dir" "${binds[@]}" -- "${envs[@]}" -- "$@"
}

build() {  # NAME
  local name=$1 dir=$hosts/debian-$1 tmp=$hosts/.debian-$1.build started=$SECONDS suite=sid
  if stamp_ok "$name"; then
    echo "debian_hosts: $name kept ($(tr '\n' ' ' < "$dir/.stamp")), $(du -sh "$dir" 2>/dev/null | cut -f1)" >&2
    touch "$dir/.ready"
    return
  fi
  command -v debootstrap >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq debootstrap >/dev/null; }
  mkdir -p "$hosts"
  if [ -e "$tmp" ]; then
    mounted_under "$tmp" && { echo "debian_hosts: $tmp has mounts, not removing it" >&2; exit 1; }
    rm -rf --one-file-system "$tmp"
  fi
  local url; url=$(mirror)
  echo "debian_hosts: building $name from $url" >&2
  debootstrap --variant=minbase "$suite" "$tmp" "$url" >"$hosts/debian-$name.log" 2>&1 ||
    { echo "debian_hosts: debootstrap failed, see $hosts/debian-$name.log" >&2; tail -n 20 "$hosts/debian-$name.log" >&2; exit 1; }
  echo "debian_hosts: $name debootstrap took $(( SECONDS - started )) s" >&2
  # The archive's sid/experimental Release files are past their valid-until date here.
  echo 'Acquire::Check-Valid-Until "false";' > "$tmp/etc/apt/apt.conf.d/99no-valid-until"
  printf 'APT::Install-Recommends "true";\nAPT::Install-Suggests "false";\n' > "$tmp/etc/apt/apt.conf.d/99recommends"
  printf '#!/bin/sh\nexit 101\n' > "$tmp/usr/sbin/policy-rc.d"; chmod +x "$tmp/usr/sbin/policy-rc.d"  # no daemons
  echo "deb $url sid main" > "$tmp/etc/apt/sources.list"
  local target=()
  if [ "$name" = experimental ]; then
    echo "deb $url experimental main" >> "$tmp/etc/apt/sources.list"
    target=(-t experimental)
  fi
  local step=$SECONDS
  # shellcheck disable=SC2046  # the package list is meant to split
  in_chroot "$tmp" -- sh -c "apt-get update -qq && apt-get install -y -qq ${target[*]} $(packages_of "$name") && apt-get clean" \
    >>"$hosts/debian-$name.log" 2>&1 ||
    { echo "debian_hosts: apt-get install failed in $name, see $hosts/debian-$name.log" >&2; tail -n 20 "$hosts/debian-$name.log" >&2; exit 1; }
  echo "debian_hosts: $name apt-get install took $(( SECONDS - step )) s" >&2
  in_chroot "$tmp" -- dpkg-query -W -f '${Package} ${Version}\n' krita blender python3 python3-pyqt5 python3-pyqt6 \
    2>/dev/null > "$tmp/.stamp" || true
  for pair in $(wanted_versions "$name"); do  # the versions this chroot is for, or fail loudly
    grep -q "^${pair%%=*} ${pair#*=}" "$tmp/.stamp" ||
      { echo "debian_hosts: $name got $(cat "$tmp/.stamp" | tr '\n' ' '), wanted $pair" >&2; exit 1; }
  done
  if [ -e "$dir" ]; then
    mounted_under "$dir" && { echo "debian_hosts: $dir has mounts, not replacing it" >&2; exit 1; }
    rm -rf --one-file-system "$dir"
  fi
  mv "$tmp" "$dir"
  touch "$dir/.ready"  # other sessions wait for this file before using the chroot
  echo "debian_hosts: $name ready ($(tr '\n' ' ' < "$dir/.stamp")) in $(( SECONDS - started )) s, $(du -sh "$dir" | cut -f1) on disk" >&2
}

cmd=${1:-build}
case $cmd in
  run)
    shift; name=${1:?debian_hosts: run NAME}; shift
    in_chroot "$hosts/debian-$name" "$@" ;;
  versions)
    cat "$hosts/debian-${2:?debian_hosts: versions NAME}/.stamp" ;;
  build|sid|experimental)
    [ "$cmd" = build ] && shift
    [ "$(id -u)" = 0 ] || { echo "debian_hosts: building chroots needs root" >&2; exit 2; }
    names=("$@"); [ ${#names[@]} -gt 0 ] || names=(sid experimental)
    command -v debootstrap >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq debootstrap >/dev/null; }
    # Side by side: each is mostly waiting on the mirror (one after the other took 326 s, sid 115 s of it).
    pids=()
    for n in "${names[@]}"; do packages_of "$n" >/dev/null; build "$n" & pids+=("$!"); done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    exit "$failed" ;;
  *) echo "debian_hosts: unknown command '$cmd' (build, run, versions)" >&2; exit 2 ;;
esac
