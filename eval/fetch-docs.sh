#!/usr/bin/env bash
# Puts the evaluation PDFs into a folder, from the Debian packages that ship them.
#
#   eval/fetch-docs.sh [TARGET_DIR]      (default: .state/eval-docs)
#
# Installs (apt, as root or through sudo) the documentation packages and the tools eval/verify.sh needs
# (poppler-utils, tesseract-ocr, tesseract-ocr-eng), then copies each chosen PDF (decompressing a .pdf.gz)
# to TARGET_DIR under a stable name. The documents are not kept in the repository (licences, size).
# When a system excludes /usr/share/doc from installs (dpkg path-exclude, as in slim container images),
# the PDF is taken from the downloaded .deb instead.
# The question set's page numbers belong to the exact files listed below: a different package version
# prints a warning (sha256 mismatch), and eval/verify.sh then tells which questions no longer hold.
set -euo pipefail

target=${1:-.state/eval-docs}

# package | path in the package | file name in TARGET_DIR | sha256 of the version the questions were written for
DOCS=(
    "packaging-tutorial|/usr/share/doc/packaging-tutorial/packaging-tutorial.pdf|packaging-tutorial.pdf|cc7c8684cf47b66bbec047f2a0d074e5a326848d8f9de8ab17daa19759e801ae"
    "maint-guide|/usr/share/doc/maint-guide/maint-guide.en.pdf|maint-guide.en.pdf|0b94abf28167fb3fe59db3d03f99b5faa50d9f6f696a7864825c5d0378ba27ef"
    "expeyes-doc-en|/usr/share/expeyes/doc/en-eyesj.pdf|en-eyesj.pdf|166ade592cd14a3c527a7d1bf63e0ce092c79a085e95ea103ac7ecb05ea4277d"
)
TOOLS=(poppler-utils tesseract-ocr tesseract-ocr-eng)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "fetch-docs: need root (or sudo) to run: $*" >&2
        exit 1
    fi
}

packages=("${TOOLS[@]}")
for entry in "${DOCS[@]}"; do
    packages+=("${entry%%|*}")
done

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "fetch-docs: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$target"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Copies SRC (or SRC.gz, decompressed) to DEST keeping its modification time; returns 1 if neither exists.
copy_pdf() {
    local src=$1 dest=$2
    if [ -f "$src" ]; then
        cp -p "$src" "$dest"
    elif [ -f "$src.gz" ]; then
        gzip -dc "$src.gz" > "$dest"
        touch -r "$src.gz" "$dest"
    else
        return 1
    fi
}

for entry in "${DOCS[@]}"; do
    IFS='|' read -r pkg path name sum <<< "$entry"
    dest="$target/$name"
    if ! copy_pdf "$path" "$dest"; then
        # Installed without its documentation files (dpkg path-exclude): take the file from the .deb.
        echo "fetch-docs: $path not on disk, extracting it from the $pkg package"
        (cd "$scratch" && apt-get download "$pkg" >/dev/null)
        dpkg-deb -x "$scratch/${pkg}"_*.deb "$scratch/$pkg"
        copy_pdf "$scratch/$pkg$path" "$dest" || { echo "fetch-docs: $pkg has no $path" >&2; exit 1; }
    fi
    actual=$(sha256sum "$dest" | cut -d' ' -f1)
    pages=$(pdfinfo "$dest" 2>/dev/null | awk '/^Pages:/ {print $2}')
    if [ "$actual" != "$sum" ]; then
        echo "fetch-docs: WARNING: $name differs from the version the questions were written for" \
             "($pkg $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)); page numbers may have moved: run eval/verify.sh $target" >&2
    fi
    printf 'fetch-docs: %-24s %4s pages  %8s bytes  (%s)\n' "$name" "${pages:-?}" "$(stat -c %s "$dest")" "$pkg"
done
echo "fetch-docs: done; ingest with: bin/rag ingest --wait $target"
