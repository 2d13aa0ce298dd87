package isg.status;

import isg.board.Board;
import isg.hsm.KeyVault;
import isg.relay.Counters;
import isg.relay.DropReason;
import isg.relay.Leg;
import isg.relay.Relay;
import isg.relay.Session;

/** The JSON of the state and metrics topics: names and counters, never a key, PIN or token. */
public final class StatusReport {

    public static final String VERSION = "0.1.0";

    private final Relay relay;
    private final KeyVault vault;
    private final Board board;
    private final isg.mc.McPlane mc;
    private final isg.channel.ChannelService channel;

    public StatusReport(Relay relay, KeyVault vault, Board board) {
        this(relay, vault, board, null, null);
    }

    /**
     * With the key plane ({@code mc}, null when the gateway is in no MC domain) and the channel
     * between gateways ({@code channel}, null when there is none).
     */
    public StatusReport(Relay relay, KeyVault vault, Board board, isg.mc.McPlane mc, isg.channel.ChannelService channel) {
        this.relay = relay;
        this.vault = vault;
        this.board = board;
        this.mc = mc;
        this.channel = channel;
    }

    /** {"domains":[...],"keys":n,"received":n,"refused":{"REASON":n,...}}, or null without a key plane. */
    private String mc() {
        if (mc == null) {
            return "null";
        }
        StringBuilder domains = new StringBuilder("[");
        for (String d : mc.domains()) {
            domains.append(domains.length() > 1 ? "," : "").append(MqttStatus.quote(d));
        }
        StringBuilder refused = new StringBuilder("{");
        mc.refused().forEach((r, n) -> refused.append(refused.length() > 1 ? "," : "").append('"').append(r).append("\":")
                .append(n));
        return "{\"domains\":" + domains.append(']') + ",\"keys\":" + mc.keysHeld() + ",\"received\":" + mc.received()
                + ",\"refused\":" + refused.append('}') + "}";
    }

    public String state() {
        StringBuilder partners = new StringBuilder("[");
        for (String p : relay.config().partners().keySet()) {
            partners.append(partners.length() > 1 ? "," : "").append(MqttStatus.quote(p));
        }
        return "{\"version\":\"" + VERSION + "\",\"gateway\":" + MqttStatus.quote(relay.config().gatewayId())
                + ",\"mode\":\"" + (relay.zeroised() ? "zeroised" : "forwarding") + "\",\"vault\":{\"kind\":"
                + MqttStatus.quote(vault.kind()) + ",\"healthy\":" + vault.healthy() + "},\"board\":"
                + MqttStatus.quote(board.describe()) + ",\"transport\":" + MqttStatus.quote(relay.transport())
                + ",\"lateness\":" + MqttStatus.quote(relay.lateness())
                + ",\"sessions\":" + relay.sessions().size() + ",\"partners\":" + partners.append(']') + ",\"mc\":" + mc()
                + ",\"channel\":" + (channel == null ? "null" : channel.summaryJson()) + "}";
    }

    private long lastMillis = System.currentTimeMillis();
    private final long[] last = new long[4];

    /** Packets and bytes per side (inside, outside: in and out), packets per second since the last report. */
    private synchronized String legs() {
        long[] now = new long[8];
        long horizon = Long.MAX_VALUE;
        for (Session s : relay.sessions()) {
            Leg[] legs = {s.inside(), s.outside()};
            for (int i = 0; i < 2; i++) {
                Counters c = legs[i].counters();
                now[4 * i] += c.packetsIn();
                now[4 * i + 1] += c.packetsOut();
                now[4 * i + 2] += c.bytesIn();
                now[4 * i + 3] += c.bytesOut();
                horizon = Math.min(horizon, legs[i].keyHorizon());
            }
        }
        long t = System.currentTimeMillis();
        double secs = Math.max(0.001, (t - lastMillis) / 1000.0);
        String json = "{\"inside\":" + side(now, 0, 0, secs) + ",\"outside\":" + side(now, 4, 2, secs)
                + "},\"keyExpiryHorizonPackets\":" + (horizon == Long.MAX_VALUE ? "null" : Long.toString(horizon));
        last[0] = now[0];
        last[1] = now[1];
        last[2] = now[4];
        last[3] = now[5];
        lastMillis = t;
        return json;
    }

    private String side(long[] now, int at, int lastAt, double secs) {
        return String.format(java.util.Locale.ROOT,
                "{\"packetsIn\":%d,\"packetsOut\":%d,\"bytesIn\":%d,\"bytesOut\":%d,\"ppsIn\":%.1f,\"ppsOut\":%.1f}",
                now[at], now[at + 1], now[at + 2], now[at + 3], Math.max(0, now[at] - last[lastAt]) / secs,
                Math.max(0, now[at + 1] - last[lastAt + 1]) / secs);
    }

    public String metrics() {
        Counters c = relay.totals();
        StringBuilder drops = new StringBuilder("{");
        for (DropReason r : DropReason.values()) {
            drops.append(drops.length() > 1 ? "," : "").append('"').append(r).append("\":").append(c.drops(r));
        }
        Runtime rt = Runtime.getRuntime();
        var t = board.socTemperature();
        return "{\"time\":\"" + java.time.Instant.now() + "\",\"sessions\":" + relay.sessions().size() + ",\"packetsIn\":"
                + c.packetsIn() + ",\"packetsOut\":" + c.packetsOut() + ",\"bytesIn\":" + c.bytesIn() + ",\"bytesOut\":"
                + c.bytesOut() + ",\"drops\":" + c.drops() + ",\"dropsByReason\":" + drops.append('}')
                + ",\"legs\":" + legs() + ",\"mc\":" + mc() + ",\"channel\":"
                + (channel == null ? "null" : channel.statusJson()) + ",\"heapUsedBytes\":" + (rt.totalMemory() - rt.freeMemory())
                + ",\"temperature\":"
                + (t.isPresent() ? String.format(java.util.Locale.ROOT, "%.1f", t.getAsDouble()) : "null") + "}";
    }
}
