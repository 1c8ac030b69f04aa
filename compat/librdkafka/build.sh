#!/usr/bin/env bash
# Builds a librdkafka newer than Debian's (2.0.2) for the compatibility tests that need it, such as the
# consumer group protocol of KIP-848. The source comes from the npm registry, inside the node-rdkafka
# package (pinned below, with the librdkafka version it bundles); the library goes to build/lib, where
# Debian's python3-confluent-kafka loads it through LD_LIBRARY_PATH. Does nothing when already built.
set -euo pipefail
cd "$(dirname "$0")"
PACKAGE=node-rdkafka@3.6.1
LIBRDKAFKA=2.12.0
OUT="$PWD/build"
if [ -f "$OUT/lib/librdkafka.so.1" ] && [ "$(cat "$OUT/VERSION" 2>/dev/null)" = "$LIBRDKAFKA" ]; then
  exit 0
fi
for tool in npm make gcc; do
  command -v "$tool" >/dev/null || { echo "librdkafka build: $tool is missing (apt-get install build-essential npm)" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null && tar xzf ./*.tgz)
src="$work/package/deps/librdkafka"
hex="$(sed -n 's/^#define RD_KAFKA_VERSION *0x\([0-9a-fA-F]*\).*/\1/p' "$src/src/rdkafka.h")"
bundled="$((16#${hex:0:2})).$((16#${hex:2:2})).$((16#${hex:4:2}))"
if [ "$bundled" != "$LIBRDKAFKA" ]; then
  echo "librdkafka build: $PACKAGE bundles librdkafka $bundled, not $LIBRDKAFKA" >&2
  exit 1
fi
(cd "$src" && ./configure --prefix="$OUT" --no-download --disable-ssl --disable-gssapi --disable-curl \
    --disable-lz4-ext >"$work/configure.log" 2>&1 && make -j"$(nproc)" libs >"$work/make.log" 2>&1 \
    && make install-subdirs >"$work/install.log" 2>&1) || {
  echo "librdkafka build failed; the last lines of its log:" >&2; tail -20 "$work"/*.log >&2; exit 1; }
echo "$LIBRDKAFKA" > "$OUT/VERSION"
echo "librdkafka $LIBRDKAFKA built in $OUT"
