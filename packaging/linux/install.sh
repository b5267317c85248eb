#!/bin/sh
# Install (or remove) the umt-desktop bundle for the current user.
#
#   ./install.sh               copy this folder to ~/.local/lib/umt-desktop, put `umt-desktop`
#                              in ~/.local/bin, and add the menu entry and icons
#   ./install.sh --uninstall   remove all of that again (models and settings stay; see below)
#
# PREFIX=/some/prefix ./install.sh installs under another prefix instead of ~/.local.
# Models and settings live in ~/.local/share/umt-desktop and ~/.config/umt-desktop;
# delete those two folders too for a clean removal.
set -eu

PREFIX="${PREFIX:-$HOME/.local}"
APP="umt-desktop"
LIB="$PREFIX/lib/$APP"
BIN="$PREFIX/bin"
SHARE="$PREFIX/share"
HERE="$(cd "$(dirname "$0")" && pwd)"
SIZES="16 32 48 64 128 256 512"

refresh() {
    # Desktops pick up new entries and icons without these; they only speed it up.
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$LIB"
    rm -f "$BIN/$APP" "$SHARE/applications/$APP.desktop" "$SHARE/icons/hicolor/scalable/apps/$APP.svg"
    for s in $SIZES; do rm -f "$SHARE/icons/hicolor/${s}x${s}/apps/$APP.png"; done
    refresh
    echo "removed $APP from $PREFIX"
    exit 0
fi
if [ -n "${1:-}" ]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi
if [ ! -x "$HERE/$APP" ]; then
    echo "$HERE/$APP not found: run this script from the unpacked bundle folder" >&2
    exit 1
fi

if [ "$HERE" != "$LIB" ]; then
    rm -rf "$LIB"
    mkdir -p "$(dirname "$LIB")"
    cp -a "$HERE" "$LIB"
fi
mkdir -p "$BIN" "$SHARE/applications"
ln -sf "$LIB/$APP" "$BIN/$APP"
if [ -d "$HERE/share/icons/hicolor" ]; then
    mkdir -p "$SHARE/icons/hicolor"
    cp -a "$HERE/share/icons/hicolor/." "$SHARE/icons/hicolor/"
fi
# An absolute Exec, so the entry works even where ~/.local/bin is not on the desktop's PATH.
sed -e "s|^Exec=$APP |Exec=$LIB/$APP |" -e "s|^TryExec=$APP\$|TryExec=$LIB/$APP|" \
    "$HERE/share/applications/$APP.desktop" > "$SHARE/applications/$APP.desktop"
refresh
echo "installed $APP in $LIB"
echo "start it from the applications menu, or run: $BIN/$APP"
