#!/usr/bin/env bash
# Installs what the build, the tests and the local run need from Debian packages (idempotent).
# Java 17 and Maven are expected; Tesseract (OCR), poppler-utils, kcat and docker-compose (file validation)
# are installed when missing. Chromium is only needed for the dashboard check: pass --with-chromium.
set -euo pipefail

packages=(tesseract-ocr tesseract-ocr-eng poppler-utils kcat docker-compose)
[[ "${1:-}" == "--with-chromium" ]] && packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
for tool in java mvn; do
    command -v "$tool" >/dev/null || { echo "setup: $tool is required (Java 17 and Maven 3.8+)" >&2; exit 1; }
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "setup: all packages present (${packages[*]})"
    exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=()
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: installed ${missing[*]}"
