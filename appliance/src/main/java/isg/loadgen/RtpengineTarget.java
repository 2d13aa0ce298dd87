package isg.loadgen;

import isg.hsm.Fips;
import isg.srtp.MasterKey;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpSuite;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sipwise rtpengine under test, driven over its ng control protocol (bencode over UDP) as a SIP
 * proxy would: an SDES offer from the sending endpoint (AES_CM_128_HMAC_SHA1_80, its own key), the
 * far endpoint's answer choosing the AEAD_AES_128_GCM line of the offer rtpengine rewrote. rtpengine
 * then decrypts with the sender's key and encrypts towards the sink with the key it offered.
 */
public final class RtpengineTarget implements Target {

    private static final Pattern PORT = Pattern.compile("(?m)^m=audio (\\d+) ");
    private static final Pattern ADDRESS = Pattern.compile("(?m)^c=IN IP[46] (\\S+)");
    private static final Pattern GCM = Pattern.compile("(?m)^a=crypto:(\\d+) AEAD_AES_128_GCM inline:([A-Za-z0-9+/=]+)");

    private final InetSocketAddress ng;
    private final DatagramSocket socket;
    private final String run = Long.toHexString(System.nanoTime());
    private final java.util.Set<String> opened = new java.util.LinkedHashSet<>();
    private final long answerNanos;
    private long cookie;

    public RtpengineTarget(InetSocketAddress ng) throws IOException {
        this(ng, 5000);
    }

    /** Waiting {@code answerMillis} for each answer (a start-up probe asks again soon instead). */
    public RtpengineTarget(InetSocketAddress ng, int answerMillis) throws IOException {
        this.ng = ng;
        this.answerNanos = answerMillis * 1_000_000L;
        this.socket = new DatagramSocket();
        socket.setSoTimeout(answerMillis);
    }

    @Override
    public String name() {
        return "rtpengine";
    }

    @Override
    public Call open(int index, InetSocketAddress source, InetSocketAddress sink) throws IOException {
        String callId = "isg-loadgen-" + run + "-" + index;
        byte[] key = new byte[30];
        Fips.DRBG.nextBytes(key);
        byte[] sinkKey = new byte[28];
        Fips.DRBG.nextBytes(sinkKey);
        try {
            Map<String, Object> offer = new LinkedHashMap<>();
            offer.put("command", "offer");
            offer.put("call-id", callId);
            offer.put("from-tag", "source");
            offer.put("sdp", sdp(index, source, 1, "AES_CM_128_HMAC_SHA1_80", key));
            offer.put("DTLS", "off");
            offer.put("replace", List.of("origin", "session-connection"));
            opened.add(callId);
            String toSink = (String) command(offer).get("sdp");
            Matcher gcm = GCM.matcher(toSink);
            if (!gcm.find()) {
                throw new IOException("rtpengine: its offer has no AEAD_AES_128_GCM crypto line:\n" + redacted(toSink));
            }
            byte[] forwardKey = Base64.getDecoder().decode(gcm.group(2));
            if (forwardKey.length != 28) {
                throw new IOException("rtpengine: its AEAD_AES_128_GCM key is " + forwardKey.length + " bytes, not 28");
            }
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("command", "answer");
            answer.put("call-id", callId);
            answer.put("from-tag", "source");
            answer.put("to-tag", "sink");
            answer.put("sdp", sdp(index, sink, Integer.parseInt(gcm.group(1)), "AEAD_AES_128_GCM", sinkKey));
            String toSource = (String) command(answer).get("sdp");
            InetSocketAddress sendTo = new InetSocketAddress(find(ADDRESS, toSource, "c="), Integer.parseInt(find(PORT, toSource, "m=audio")));
            SrtpSuite outside = SrtpSuite.AEAD_AES_128_GCM;
            SrtpReceiver check = new SrtpReceiver(SrtpPolicy.builder(outside).build(),
                    new MasterKey(Arrays.copyOf(forwardKey, 16), Arrays.copyOfRange(forwardKey, 16, 28)));
            Arrays.fill(forwardKey, (byte) 0);
            SrtpSender protect = new SrtpSender(SrtpPolicy.builder(SrtpSuite.AES_CM_128_HMAC_SHA1_80).build(),
                    new MasterKey(Arrays.copyOf(key, 16), Arrays.copyOfRange(key, 16, 30)));
            SrtpReceiver senderKey = new SrtpReceiver(SrtpPolicy.builder(outside).build(),
                    new MasterKey(Arrays.copyOf(key, 16), Arrays.copyOfRange(key, 16, 28)));
            return new Call(callId, sendTo, protect, check, senderKey);
        } catch (java.security.InvalidKeyException | IllegalArgumentException | ClassCastException e) {
            throw new IOException("rtpengine: call " + callId + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(key, (byte) 0);
            Arrays.fill(sinkKey, (byte) 0);
        }
    }

    /** An endpoint's SDP: one PCMU stream at {@code at}, SDES with the key it sends under. */
    private static String sdp(int index, InetSocketAddress at, int tag, String suite, byte[] key) {
        String ip = at.getAddress() instanceof java.net.Inet6Address ? "IP6" : "IP4";
        String host = at.getAddress().getHostAddress();
        return "v=0\r\no=- " + (index + 1) + " 1 IN " + ip + " " + host + "\r\ns=isg-loadgen\r\nc=IN " + ip + " " + host
                + "\r\nt=0 0\r\nm=audio " + at.getPort() + " RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=crypto:"
                + tag + " " + suite + " inline:" + Base64.getEncoder().encodeToString(key) + "\r\n";
    }

    private static String find(Pattern p, String sdp, String what) throws IOException {
        Matcher m = p.matcher(sdp);
        if (!m.find()) {
            throw new IOException("rtpengine: its SDP has no " + what + " line:\n" + redacted(sdp));
        }
        return m.group(1);
    }

    /** An SDP fit for a message: every SDES key replaced (keys never reach logs or exceptions). */
    static String redacted(String sdp) {
        return sdp.replaceAll("inline:[^\\s|]+", "inline:<redacted>");
    }

    /** One ng request and its answer (matched by cookie); a result other than ok is an error. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> command(Map<String, Object> request) throws IOException {
        String c = run + "-" + cookie++;
        byte[] body = Bencode.encode(request);
        byte[] msg = new byte[c.length() + 1 + body.length];
        System.arraycopy((c + " ").getBytes(StandardCharsets.US_ASCII), 0, msg, 0, c.length() + 1);
        System.arraycopy(body, 0, msg, c.length() + 1, body.length);
        socket.send(new DatagramPacket(msg, msg.length, ng));
        byte[] in = new byte[65_535];
        long deadline = System.nanoTime() + answerNanos;
        while (System.nanoTime() < deadline) {
            DatagramPacket p = new DatagramPacket(in, in.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                break;
            }
            String head = new String(in, 0, Math.min(p.getLength(), c.length() + 1), StandardCharsets.US_ASCII);
            if (!head.equals(c + " ")) {
                continue; // an answer to an earlier request that timed out
            }
            Object v = Bencode.decode(Arrays.copyOfRange(in, c.length() + 1, p.getLength()), 0);
            if (!(v instanceof Map)) {
                throw new IOException("rtpengine: " + request.get("command") + ": its answer is not a dictionary");
            }
            Map<String, Object> answer = (Map<String, Object>) v;
            if (!"ok".equals(answer.get("result"))) {
                throw new IOException("rtpengine: " + request.get("command") + " refused: " + answer.get("result")
                        + (answer.containsKey("error-reason") ? " (" + answer.get("error-reason") + ")" : ""));
            }
            return answer;
        }
        throw new IOException("rtpengine: no answer to " + request.get("command") + " from " + ng + " within "
                + answerNanos / 1_000_000 + " ms");
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (String id : opened) {
            Map<String, Object> delete = new LinkedHashMap<>();
            delete.put("command", "delete");
            delete.put("call-id", id);
            try {
                command(delete);
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        opened.clear();
        socket.close();
        if (first != null) {
            throw first;
        }
    }
}
