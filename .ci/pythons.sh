# shellcheck shell=bash
# find_python 3.12: the path of a working Python 3.12 (on PATH, or installed by pyenv), or nothing.
find_python() {
  local version=$1 candidate
  for candidate in "python$version" $(pyenv root 2>/dev/null | sed "s|\$|/versions/$version|")*/bin/"python$version"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}
