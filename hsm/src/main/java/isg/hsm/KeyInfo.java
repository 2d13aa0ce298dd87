package isg.hsm;

import java.time.Instant;
import java.util.Map;

/**
 * What the vault tells about an entry: never its secret value.
 *
 * @param label the object label (CKA_LABEL), unique in the vault
 * @param id the object id (CKA_ID), hex
 * @param uri the RFC 7512 URI that addresses it
 * @param uses how many operations used it since the vault was opened
 * @param attributes public attributes stored beside the key (never secrets)
 */
public record KeyInfo(String label, String id, String uri, KeyType type, KeyPurpose purpose, String owner, int bits,
        Instant created, Instant notAfter, long uses, Map<String, String> attributes) {

    /** Without attributes. */
    public KeyInfo(String label, String id, String uri, KeyType type, KeyPurpose purpose, String owner, int bits,
            Instant created, Instant notAfter, long uses) {
        this(label, id, uri, type, purpose, owner, bits, created, notAfter, uses, Map.of());
    }

    public KeyInfo {
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /** A public attribute stored beside the key, or null. */
    public String attribute(String name) {
        return attributes.get(name);
    }

    /** Whether the key may still be used at {@code now}. */
    public boolean validAt(Instant now) {
        return notAfter == null || now.isBefore(notAfter);
    }

    /** One JSON object, as the CLI and the audit log show it. */
    public String toJson() {
        return "{" + Json.field("label", label) + "," + Json.field("id", id) + "," + Json.field("uri", uri) + ","
                + Json.field("type", type.name()) + "," + Json.field("purpose", purpose.name()) + ","
                + Json.field("owner", owner) + ",\"bits\":" + bits + "," + Json.field("created", String.valueOf(created))
                + "," + Json.field("notAfter", notAfter == null ? null : notAfter.toString()) + ",\"uses\":" + uses
                + attributesJson() + "}";
    }

    private String attributesJson() {
        if (attributes.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(",\"attributes\":{");
        new java.util.TreeMap<>(attributes).forEach((k, v) -> b.append(b.charAt(b.length() - 1) == '{' ? "" : ",")
                .append(Json.field(k, v)));
        return b.append('}').toString();
    }
}
