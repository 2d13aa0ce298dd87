package isg.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import isg.hsm.Fips;
import isg.hsm.KeyVault;
import isg.relay.InterconnectKeys;
import isg.srtp.MasterKey;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.Bytes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * An ISG gateway under test, driven through its control API as an MC system's controller would:
 * one {@code reprotect} session per call, the inside under AES_CM_128_HMAC_SHA1_80 keys the
 * generator chose, the outside keyed with interconnect v2 at create. The sink plays the partner
 * gateway: it derives the outside keys from the shared interconnect master key in its own vault.
 */
public final class IsgTarget implements Target {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final URI api;
    private final String token;
    private final KeyVault partnerVault;
    private final String masterUri;
    private final String gatewayId;
    private final String partnerId;
    private final List<String> opened = new ArrayList<>();

    /**
     * @param partnerVault the vault holding the interconnect master key the gateway shares with
     *                     {@code partnerId} (the generator plays that partner), closed with this
     */
    public IsgTarget(URI api, String token, KeyVault partnerVault, String masterUri, String gatewayId, String partnerId) {
        this.api = api;
        this.token = token;
        this.partnerVault = partnerVault;
        this.masterUri = masterUri;
        this.gatewayId = gatewayId;
        this.partnerId = partnerId;
    }

    @Override
    public String name() {
        return "isg";
    }

    @Override
    public Call open(int index, InetSocketAddress source, InetSocketAddress sink) throws IOException {
        String id = "bench-" + index;
        byte[] key = new byte[30];
        Fips.DRBG.nextBytes(key);
        byte[] back = new byte[30];
        Fips.DRBG.nextBytes(back);
        byte[] partnerNonce = InterconnectKeys.newNonce();
        String body = "{\"id\":\"" + id + "\",\"mode\":\"reprotect\",\"partner\":\"" + partnerId
                + "\",\"inside\":{\"remote\":\"" + hostPort(source) + "\",\"suite\":\"AES_CM_128_HMAC_SHA1_80\","
                + "\"receiveKey\":\"" + Base64.getEncoder().encodeToString(key) + "\",\"sendKey\":\""
                + Base64.getEncoder().encodeToString(back) + "\"},\"outside\":{\"remote\":\"" + hostPort(sink)
                + "\",\"partnerNonce\":\"" + Bytes.toHex(partnerNonce) + "\"}}";
        Arrays.fill(back, (byte) 0);
        JsonNode created = call("POST", "/sessions", body, 201);
        opened.add(id);
        try {
            String[] local = created.get("inside").get("local").asText().split(":(?=[0-9]+$)");
            InetSocketAddress sendTo = new InetSocketAddress(local[0].replace("[", "").replace("]", ""),
                    Integer.parseInt(local[1]));
            byte[] gatewayNonce = Bytes.fromHex(created.get("outside").get("nonce").asText());
            SrtpSuite outside = SrtpSuite.AEAD_AES_128_GCM;
            SrtpReceiver check = new SrtpReceiver(SrtpPolicy.builder(outside).build(), InterconnectKeys.derive(
                    partnerVault, masterUri, outside, id, gatewayId, partnerId, gatewayNonce, partnerNonce));
            MasterKey inside = new MasterKey(Arrays.copyOf(key, 16), Arrays.copyOfRange(key, 16, 30));
            SrtpSender protect = new SrtpSender(SrtpPolicy.builder(SrtpSuite.AES_CM_128_HMAC_SHA1_80).build(), inside);
            SrtpReceiver senderKey = new SrtpReceiver(SrtpPolicy.builder(outside).build(),
                    new MasterKey(Arrays.copyOf(key, 16), Arrays.copyOfRange(key, 16, 28)));
            return new Call(id, sendTo, protect, check, senderKey);
        } catch (java.security.GeneralSecurityException | isg.hsm.VaultException | RuntimeException e) {
            throw new IOException("isg: session " + id + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** The LATE drops in the relay's totals ({@code GET /status}). */
    @Override
    public long droppedLate() throws IOException {
        return call("GET", "/status", null, 200).path("totals").path("drops").path("LATE").asLong(0);
    }

    private JsonNode call(String method, String path, String body, int expected) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(api.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("isg: " + method + " " + path + " interrupted");
        }
        if (r.statusCode() != expected) {
            throw new IOException("isg: " + method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    static String hostPort(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (String id : opened) {
            try {
                call("DELETE", "/sessions/" + id, null, 204);
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        opened.clear();
        partnerVault.close();
        if (first != null) {
            throw first;
        }
    }
}
