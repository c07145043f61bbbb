#!/usr/bin/env bash
# Maps a `git describe --tags --always --dirty` version (the Makefile's
# VERSION) to the version formats packages need. The one place this mapping
# lives; packaging/version_test.go tests it.
#
#   version.sh deb VERSION   Debian version, sorts like the git history:
#     v0.1.0                  -> 0.1.0
#     v0.1.0-3-gabc1234       -> 0.1.0+git3.gabc1234
#     v0.2.0-rc1              -> 0.2.0~rc1          (~ sorts before 0.2.0)
#     v0.2.0-rc1-3-gabc1234   -> 0.2.0~rc1+git3.gabc1234
#     abc1234 (no tag yet)    -> 0.0.0+gabc1234
#     any of these + -dirty   -> ….dirty             (0.1.0+dirty for a tag)
#     devel (no git)          -> 0.0.0+devel
#   version.sh win VERSION   Windows VERSIONINFO numbers MAJOR,MINOR,PATCH,COMMITS
#                            (each 0..65535): v0.1.0-3-gabc1234 -> 0,1,0,3
#   version.sh semver VERSION  MAJOR.MINOR.PATCH (macOS CFBundleShortVersionString)
set -euo pipefail

usage() { echo "usage: $0 deb|win|semver VERSION" >&2; exit 2; }
[ $# -eq 2 ] || usage
kind=$1 v=$2

dirty=
case $v in *-dirty) dirty=1; v=${v%-dirty} ;; esac

# tag [-N-gHASH]: a tag vX.Y.Z or X.Y.Z, optionally with a pre-release suffix.
re_tag='^v?([0-9]+)\.([0-9]+)\.([0-9]+)(-([0-9A-Za-z.]+))?$'
re_desc='^(.+)-([0-9]+)-g([0-9a-f]+)$'
major=0 minor=0 patch=0 pre= commits= hash= other=
if [[ $v =~ $re_desc ]] && [[ ${BASH_REMATCH[1]} =~ $re_tag ]]; then
  commits=${v%-*}; commits=${commits##*-}; hash=${v##*-g}
  v=${v%-*-g*}
fi
if [[ $v =~ $re_tag ]]; then
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]} pre=${BASH_REMATCH[5]}
elif [[ $v =~ ^[0-9a-f]{4,40}$ ]]; then
  hash=$v
else
  # Anything else (devel, a branch name): keep Debian-legal characters only.
  other=$(printf '%s' "$v" | tr -c 'A-Za-z0-9.~' '.')
  [ -n "$other" ] || other=unknown
fi

case $kind in
deb)
  out="$((10#$major)).$((10#$minor)).$((10#$patch))"
  [ -z "$pre" ] || out+="~${pre}"
  local_=
  if [ -n "$commits" ]; then local_="git${commits}.g${hash}"
  elif [ -n "$hash" ]; then local_="g${hash}"
  elif [ -n "$other" ]; then local_=$other
  fi
  [ -z "$dirty" ] || local_="${local_:+$local_.}dirty"
  [ -z "$local_" ] || out+="+${local_}"
  echo "$out"
  ;;
win)
  clamp() { local n=$((10#$1)); [ "$n" -le 65535 ] || n=65535; echo "$n"; }
  echo "$(clamp "$major"),$(clamp "$minor"),$(clamp "$patch"),$(clamp "${commits:-0}")"
  ;;
semver)
  echo "$((10#$major)).$((10#$minor)).$((10#$patch))"
  ;;
*) usage ;;
esac
