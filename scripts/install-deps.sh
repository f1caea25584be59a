#!/usr/bin/env bash
# Installs what exifapi needs on a fresh Debian machine with Node.js: the Debian packages
# (perl for the bundled ExifTool, qpdf, ffmpeg, ...) when missing, then the npm packages.
# Usage: scripts/install-deps.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

# command -> Debian package. ImageMagick's convert is looked up in /usr/bin on purpose: some
# machines carry a stand-in of that name in /usr/local/bin.
declare -A need=(
  [perl]=perl
  [qpdf]=qpdf
  [ffmpeg]=ffmpeg
  [ffprobe]=ffmpeg
  [jpegtran]=libjpeg-turbo-progs
  # djpeg decodes pictures and previews, scaled down, for the previews finding.
  [djpeg]=libjpeg-turbo-progs
  # ExifTool runs under setpriv (dies with the service) and prlimit (memory cap); the other
  # helpers get the same limits from the spawner, a Perl script (src/isolation/tool-spawner.pl).
  [setpriv]=util-linux
  [prlimit]=util-linux
  # pdftotext reads a cleaned PDF's page text back, to prove it is the original's.
  [pdftotext]=poppler-utils
  # catdoc, xls2csv and catppt do the same for Office 97-2003 files.
  [catdoc]=catdoc
)
if [ "$mode" = test ]; then
  need[/usr/bin/convert]=imagemagick
  need[/usr/bin/heif-enc]=libheif-examples
  # ImageMagick renders SVG through this delegate (the image tests compare SVG pixels).
  need[rsvg-convert]=librsvg2-bin
  # The office review tests read a cleaned document's final text as LibreOffice shows it.
  need[soffice]=libreoffice-writer-nogui
  # The camera raw tests check that dcraw identifies and renders the raws the same way.
  need[dcraw]=dcraw
  # The JPEG 2000 and JPEG XL tests make their files with these and decode them to compare pixels.
  need[opj_compress]=libopenjp2-tools
  need[opj_decompress]=libopenjp2-tools
  # The PostScript tests render EPS pages before and after cleaning to compare their pixels.
  need[/usr/bin/gs]=ghostscript
  need[cjxl]=libjxl-tools
  need[djxl]=libjxl-tools
  # The JPEG XR tests encode their pictures with the reference encoder and compare decoded pixels.
  need[JxrEncApp]=libjxr-tools
  need[JxrDecApp]=libjxr-tools
  need[zip]=zip
  need[unzip]=unzip
  # The web page's end-to-end test drives Debian's Chromium (playwright-core brings no browser).
  need[/usr/bin/chromium]=chromium
  # The multi-instance and distributed-backend tests start their own Redis and PostgreSQL.
  need[redis-server]=redis-server
  # The URL tests put a public address on the loopback interface for a redirect test.
  need[ip]=iproute2
  # The Musepack test encodes a stream-version-8 file and decodes it before and after cleaning.
  need[mpcenc]=musepack-tools
  need[mpcdec]=musepack-tools
  # The WavPack test encodes its files and checks the cleaned ones with WavPack's own tools.
  need[wavpack]=wavpack
  need[wvunpack]=wavpack
fi

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# ExifTool needs Archive::Zip to look inside ZIP-based files: without it a DOCX or XLSX is
# reported as a plain "ZIP" and OpenDocument's meta.xml is not read.
perl -MArchive::Zip -e 1 >/dev/null 2>&1 || missing+=(libarchive-zip-perl)
# The legacy Office tests make DOC, XLS and PPT files with LibreOffice (and render PPT text
# through PDF). Its parts are libraries, not commands, so they are looked up as files.
if [ "$mode" = test ]; then
  for part in writer:libswlo calc:libsclo impress:libslideshowlo; do
    [ -e "/usr/lib/libreoffice/program/${part#*:}.so" ] || missing+=("libreoffice-${part%%:*}-nogui")
  done
fi
# scripts/run-service.sh starts the service on jemalloc (a library, looked up as a file).
compgen -G '/usr/lib/*/libjemalloc.so.2' >/dev/null || missing+=(libjemalloc2)
# Debian keeps the PostgreSQL server out of PATH, in a folder named by its major version.
if [ "$mode" = test ] && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  missing+=(postgresql)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "Installing Debian packages: $pkgs"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

stamp=node_modules/.install-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund
  touch "$stamp"
fi
