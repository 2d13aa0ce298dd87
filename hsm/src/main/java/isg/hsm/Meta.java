package isg.hsm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the vault stores about an entry beside it (type, purpose, owner, dates, public
 * attributes); as JSON in the vault. Metadata written before attributes existed reads as none.
 */
record Meta(String label, byte[] id, KeyType type, KeyPurpose purpose, String owner, int bits, Instant created,
        Instant notAfter, Map<String, String> attributes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    Meta {
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    String idHex() {
        return HexFormat.of().formatHex(id);
    }

    Meta withBits(int b) {
        return new Meta(label, id, type, purpose, owner, b, created, notAfter, attributes);
    }

    String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("label", label).put("id", idHex()).put("type", type.name()).put("purpose", purpose.name())
                .put("owner", owner).put("bits", bits).put("created", created.toString())
                .put("notAfter", notAfter == null ? null : notAfter.toString());
        if (!attributes.isEmpty()) {
            ObjectNode a = n.putObject("attributes");
            new TreeMap<>(attributes).forEach(a::put);
        }
        return n.toString();
    }

    static Meta fromJson(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable vault metadata: " + e.getOriginalMessage());
        }
        Map<String, String> attributes = new TreeMap<>();
        JsonNode a = n.get("attributes");
        if (a != null && a.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                attributes.put(e.getKey(), e.getValue().asText());
            }
        }
        return new Meta(text(n, "label"), HexFormat.of().parseHex(text(n, "id")), KeyType.valueOf(text(n, "type")),
                KeyPurpose.valueOf(text(n, "purpose")), text(n, "owner"), n.get("bits").asInt(),
                Instant.parse(text(n, "created")), text(n, "notAfter") == null ? null : Instant.parse(text(n, "notAfter")),
                attributes);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    KeyInfo info(String token, long uses) {
        String t = switch (type) {
            case AES, GENERIC_SECRET, SECRET_DATA -> "secret-key";
            case EC_P256 -> "private";
            case CERTIFICATE -> "cert";
        };
        return new KeyInfo(label, idHex(), Pkcs11Uri.of(token, label, id, t).toString(), type, purpose, owner, bits,
                created, notAfter, uses, attributes);
    }
}
