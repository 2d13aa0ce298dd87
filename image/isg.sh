#!/bin/sh
# isg: starts ISG on the Java runtime shipped beside it, with the flags its fast path needs.
#
# - --add-opens lets the JDK backend reach the JVM's carry-less-multiply GHASH intrinsic (the jar
#   manifest's Add-Opens works only for `java -jar`; without it GCM silently falls back to tables:
#   `isg selftest` says which one is in use).
# - Netty (epoll), Bouncy Castle FIPS, the PKCS#11 wrapper and Pi4J unpack native libraries at start.
#   On a hardened box /tmp is noexec, so they go to a private directory that allows execution:
#   $ISG_NATIVE_DIR, else <systemd StateDirectory>/native, else ~/.cache/isg/native.
# - Sized for a Pi-class box: the serial collector (the relay allocates nothing per packet), a
#   bounded heap and code cache; a small young generation and a heap that gives back what it does
#   not use (ISG's live heap is ~20 MB: -Xms32m alone let it sit at 50 MB committed, ~25 MB more
#   resident set); exit on OutOfMemoryError so systemd restarts a clean process.
#   ISG_JAVA_OPTS is appended last, so it can change any of this (e.g. ISG_JAVA_OPTS=-Xmx512m).
# - `run` and `selftest` get Java 17's incubating foreign-function API, through which the relay asks
#   the kernel when a datagram arrived and drops what waited longer than relay.latencyBound (LATE);
#   `loadgen` too, to time each packet to its arrival at the sink.
#   The JVM says "WARNING: Using incubator modules" once at start; the other commands do without.
set -eu

home=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)

if [ -n "${ISG_NATIVE_DIR:-}" ]; then
  native=$ISG_NATIVE_DIR
elif [ -n "${STATE_DIRECTORY:-}" ]; then
  native=${STATE_DIRECTORY%%:*}/native
else
  native=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/isg/native
fi
(umask 077 && mkdir -p -- "$native")

stamps=
case "${1:-}" in
  run|selftest) stamps="--add-modules=jdk.incubator.foreign --enable-native-access=ALL-UNNAMED" ;;
  # the load generator stamps what arrives at its sink socket (a JDK socket: its descriptor is needed)
  loadgen) stamps="--add-modules=jdk.incubator.foreign --enable-native-access=ALL-UNNAMED
    --add-exports=java.base/sun.nio.ch=ALL-UNNAMED" ;;
esac

# shellcheck disable=SC2086 # ISG_JAVA_OPTS and $stamps are lists of options
exec "$home/runtime/bin/java" \
  --add-opens=java.base/com.sun.crypto.provider=ALL-UNNAMED \
  -Djava.io.tmpdir="$native" \
  -Dio.netty.native.workdir="$native" \
  -Dorg.bouncycastle.native.loader.install_dir="$native" \
  -XX:+UseSerialGC -Xms8m -Xmn6m -Xmx192m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=25 \
  -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=48m \
  -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError \
  $stamps ${ISG_JAVA_OPTS:-} \
  -cp "$home/lib/*" isg.Main "$@"
