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
#   resident set); the C heap trimmed back to the system every second (JDK 17.0.9 and later; about
#   4 MB less resident with one session); exit on OutOfMemoryError so systemd restarts a clean process.
#   ISG_JAVA_OPTS is appended last, so it can change any of this (e.g. ISG_JAVA_OPTS=-Xmx512m).
# - `run` and `selftest` get Java 17's incubating foreign-function API, through which the relay asks
#   the kernel when a datagram arrived and drops what waited longer than relay.latencyBound (LATE);
#   `loadgen` too, to time each packet to its arrival at the sink.
#   The JVM says "WARNING: Using incubator modules" once at start; the other commands do without.
# - `run` starts from a class-data archive (CDS): the classes a start loads, already parsed and
#   verified, mapped from one file (about a second less of one core to the first packet). The first
#   start of an installed version lists the classes it loads; once it has run (the gateway marks it),
#   the next start archives them (-Xshare:dump, a few seconds, once), checks the archive maps, and every
#   start after maps it. They live beside the native libraries, named by a checksum of the runtime, the
#   jars and ISG_JAVA_OPTS, so an upgrade starts over by itself. ISG_CDS=off starts without.
#   C2 waits three times longer than the JVM's default before compiling a method: start-up code runs
#   once and is not worth it, and on one core C2 took half a second of the start from it; what forwards
#   packets reaches the thresholds within a second under load.
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

jvm() { # jvm <options and arguments>: becomes the runtime's java with every flag above
  # shellcheck disable=SC2086 # ISG_JAVA_OPTS and $stamps are lists of options
  exec "$home/runtime/bin/java" \
    --add-opens=java.base/com.sun.crypto.provider=ALL-UNNAMED \
    -Djava.io.tmpdir="$native" \
    -Dio.netty.native.workdir="$native" \
    -Dorg.bouncycastle.native.loader.install_dir="$native" \
    -XX:+UseSerialGC -Xms8m -Xmn6m -Xmx192m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=25 \
    -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=48m \
    -XX:Tier4InvocationThreshold=15000 -XX:Tier4MinInvocationThreshold=1800 \
    -XX:Tier4CompileThreshold=45000 -XX:Tier4BackEdgeThreshold=120000 \
    -XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=1000 \
    -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError \
    $stamps ${ISG_JAVA_OPTS:-} \
    -cp "$home/lib/*" "$@"
}

if [ "${1:-}" != run ] || [ "${ISG_CDS:-on}" = off ]; then
  jvm isg.Main "$@"
fi

key=$({ cd "$home" && ls -lnR --time-style=+%s runtime/release runtime/lib/modules runtime/lib/server lib \
  && printf '%s\n' "${ISG_JAVA_OPTS:-}"; } | cksum | cut -d' ' -f1)
list="$native/isg-$key.classlist"
archive="$native/isg-$key.jsa"
if [ ! -s "$archive" ] && [ -s "$list" ] && [ -e "$list.ran" ] && [ ! -e "$list.failed" ]; then
  echo "isg: archiving the classes the last start loaded (class-data sharing; once per installed version)" >&2
  rm -f "$archive.part"
  if (jvm -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$archive.part") \
      > "$native/isg-cds.log" 2>&1 \
      && (jvm -Xshare:on -XX:SharedArchiveFile="$archive.part" isg.Main help) > /dev/null 2>&1; then
    mv -f "$archive.part" "$archive"
  else
    echo "isg: could not archive them (see $native/isg-cds.log): this version starts without" >&2
    rm -f "$archive.part"
    : > "$list.failed"
  fi
fi
if [ -s "$archive" ]; then
  jvm -XX:SharedArchiveFile="$archive" isg.Main "$@"
fi
if [ -e "$list.failed" ]; then
  jvm isg.Main "$@"
fi
# this version's first start (or one after a start that did not get to run): list what it loads
rm -f "$native"/isg-*.classlist "$native"/isg-*.classlist.ran "$native"/isg-*.classlist.failed \
  "$native"/isg-*.jsa "$native"/isg-*.jsa.part
jvm -XX:DumpLoadedClassList="$list" -Disg.runningMark="$list.ran" isg.Main "$@"
