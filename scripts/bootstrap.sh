#!/usr/bin/env bash
# Sets up .venv for morphosim: a Python >= 3.12 with a shared libpython (libroadrunner's
# extension links libpython3.X.so), the project installed editable with its dev extra.
#
# Finding Python, in order:
#   1. $MORPHOSIM_PYTHON, then python3.13 / python3.12 / python3.14 / python3 on PATH,
#      pyenv, conda and /usr/local installs;
#   2. a CPython 3.13 built earlier by this script in the per-user cache;
#   3. on Debian/Ubuntu with apt-get and root: build CPython 3.13 from Debian's
#      source package into the per-user cache (about 5 minutes, once).
# Otherwise it stops and says what to install. A second run takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/morphosim"
BUILT_PY="$CACHE/python-3.13"
STAMP="$VENV/.morphosim-setup"

say() { echo "bootstrap: $*" >&2; }

# Succeeds when "$1" runs, is >= 3.12 and has a shared libpython.
usable_python() {
    "$1" - <<'EOF' >/dev/null 2>&1
import glob, os, sys, sysconfig
ok = sys.version_info >= (3, 12)
libdir = sysconfig.get_config_var("LIBDIR") or ""
shared = sysconfig.get_config_var("Py_ENABLE_SHARED") or glob.glob(
    os.path.join(libdir, "libpython%d.%d*.so*" % sys.version_info[:2]))
sys.exit(0 if ok and shared else 1)
EOF
}

find_python() {
    local candidates=()
    [ -n "${MORPHOSIM_PYTHON:-}" ] && candidates+=("$MORPHOSIM_PYTHON")
    local name
    for name in python3.13 python3.12 python3.14 python3; do
        command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
    done
    # pyenv installs, newest first
    while read -r name; do candidates+=("$name"); done < <(
        ls -d "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV)
    local pattern
    for pattern in "${CONDA_PREFIX:-/nonexistent}/bin/python3" \
                   "$HOME"/{miniforge3,miniconda3,mambaforge,anaconda3}/bin/python3 \
                   /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] \
                   "$BUILT_PY/bin/python3.13"; do
        for name in $pattern; do [ -x "$name" ] && candidates+=("$name"); done
    done
    for name in "${candidates[@]}"; do
        if usable_python "$name"; then echo "$name"; return 0; fi
    done
    return 1
}

# The Debian mirror this machine's apt already uses (deb822 or one-line format).
debian_mirror() {
    { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
      grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
    } | grep -v -- '-security' | head -n 1
}

build_python() {
    command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || return 1
    local mirror; mirror="$(debian_mirror)"
    [ -n "$mirror" ] || return 1
    say "no Python >= 3.12 with a shared libpython found; building CPython 3.13 into $BUILT_PY (once, ~5 min)"
    local work="$CACHE/build"
    rm -rf "$work"; mkdir -p "$work/lists/partial"
    echo "deb-src $mirror trixie main" > "$work/sources.list"
    local apt_private=(-oDir::Etc::SourceList="$work/sources.list" -oDir::Etc::SourceParts=/dev/null
                       -oDir::State::Lists="$work/lists" -oAPT::Sandbox::User=root)
    apt-get -qq update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends \
        build-essential pkg-config libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev \
        libsqlite3-dev libreadline-dev uuid-dev libexpat1-dev >/dev/null
    apt-get -qq "${apt_private[@]}" update
    (cd "$work" && apt-get -qq "${apt_private[@]}" source --download-only python3.13)
    local tarball; tarball="$(ls "$work"/python3.13_*.orig.tar.* | head -n 1)"
    tar -xf "$tarball" -C "$work"
    local src; src="$(find "$work" -maxdepth 1 -type d -name 'Python-3.13*' | head -n 1)"
    local log="$CACHE/python-build.log"
    (cd "$src" && ./configure --prefix="$BUILT_PY" --enable-shared LDFLAGS="-Wl,-rpath,$BUILT_PY/lib" \
        && make -j"$(nproc)" && make install) >"$log" 2>&1 \
        || { tail -n 30 "$log" >&2; say "error: building CPython failed; the full log is $log"; return 1; }
    rm -rf "$work"
    usable_python "$BUILT_PY/bin/python3.13"
}

# Xvfb lets the interactive viewer's test open a window on a machine without a screen.
install_xvfb() {
    command -v Xvfb >/dev/null 2>&1 && return 0
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing Xvfb (Debian package xvfb) for the viewer test"
        apt-get -qq update >/dev/null && DEBIAN_FRONTEND=noninteractive \
            apt-get -qq install -y --no-install-recommends xvfb >/dev/null \
            || say "warning: could not install xvfb; the interactive viewer test needs it"
    else
        say "note: Xvfb is not installed; the interactive viewer test needs it (package xvfb)"
    fi
}

# gmsh's wheel (tetrahedral meshes of the egg) links these X/GL libraries even when run headless.
install_gmsh_libraries() {
    local missing=() library
    for library in libGLU.so.1 libXcursor.so.1 libXft.so.2 libXinerama.so.1 libXrender.so.1 libGL.so.1; do
        ldconfig -p 2>/dev/null | grep -q "$library" || missing+=("$library")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing the libraries gmsh links (${missing[*]})"
        apt-get -qq update >/dev/null && DEBIAN_FRONTEND=noninteractive \
            apt-get -qq install -y --no-install-recommends libglu1-mesa libxcursor1 libxft2 libxinerama1 \
            libxrender1 libgl1 >/dev/null \
            || say "warning: could not install gmsh's libraries; ball and ellipsoid volume meshes need them"
    else
        say "note: gmsh needs ${missing[*]} (Debian: libglu1-mesa libxcursor1 libxft2 libxinerama1 libxrender1 libgl1)"
    fi
}

setup_key() {
    # Re-install when pyproject.toml or the interpreter changes.
    { cat "$ROOT/pyproject.toml"; "$VENV/bin/python" -VV; } | sha256sum | cut -d' ' -f1
}

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(setup_key)" ]; then
    exit 0
fi

if [ ! -x "$VENV/bin/python" ] || ! usable_python "$VENV/bin/python"; then
    PYTHON="$(find_python)" || { build_python && PYTHON="$BUILT_PY/bin/python3.13"; } || {
        say "error: morphosim needs Python >= 3.12 built with a shared libpython (for libroadrunner)."
        say "Install one (e.g. 'apt install python3.12' on Ubuntu 24.04+/Debian 13, 'dnf install python3.12',"
        say "'conda create -n py312 python=3.12', or pyenv with PYTHON_CONFIGURE_OPTS=--enable-shared)"
        say "and run again, or point MORPHOSIM_PYTHON at it."
        exit 1
    }
    say "using $PYTHON ($("$PYTHON" -V))"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

install_xvfb
install_gmsh_libraries
say "installing morphosim and its dependencies into .venv (about 2 GB, ~1-2 min)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]"
"$VENV/bin/python" -c "import dolfinx_solver, dolfinx, roadrunner, numba, pyvista, zarr" \
    || { say "error: the installed environment does not import; see the messages above"; exit 1; }
setup_key > "$STAMP"
say "ready: $VENV"
