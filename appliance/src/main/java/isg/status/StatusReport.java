package isg.status;

import isg.board.Board;
import isg.hsm.KeyVault;
import isg.relay.Counters;
import isg.relay.DropReason;
import isg.relay.Relay;

/** The JSON of the state and metrics topics: names and counters, never a key, PIN or token. */
public final class StatusReport {

    public static final String VERSION = "0.1.0";

    private final Relay relay;
    private final KeyVault vault;
    private final Board board;

    public StatusReport(Relay relay, KeyVault vault, Board board) {
        this.relay = relay;
        this.vault = vault;
        this.board = board;
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
                + ",\"sessions\":" + relay.sessions().size() + ",\"partners\":" + partners.append(']') + "}";
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
                + ",\"heapUsedBytes\":" + (rt.totalMemory() - rt.freeMemory()) + ",\"temperature\":"
                + (t.isPresent() ? String.format(java.util.Locale.ROOT, "%.1f", t.getAsDouble()) : "null") + "}";
    }
}
