package isg.hsm;

import java.time.Instant;

/**
 * What the vault tells about an entry: never its secret value.
 *
 * @param label the object label (CKA_LABEL), unique in the vault
 * @param id the object id (CKA_ID), hex
 * @param uri the RFC 7512 URI that addresses it
 * @param uses how many operations used it since the vault was opened
 */
public record KeyInfo(String label, String id, String uri, KeyType type, KeyPurpose purpose, String owner, int bits,
        Instant created, Instant notAfter, long uses) {

    /** Whether the key may still be used at {@code now}. */
    public boolean validAt(Instant now) {
        return notAfter == null || now.isBefore(notAfter);
    }

    /** One JSON object, as the CLI and the audit log show it. */
    public String toJson() {
        return "{" + Json.field("label", label) + "," + Json.field("id", id) + "," + Json.field("uri", uri) + ","
                + Json.field("type", type.name()) + "," + Json.field("purpose", purpose.name()) + ","
                + Json.field("owner", owner) + ",\"bits\":" + bits + "," + Json.field("created", String.valueOf(created))
                + "," + Json.field("notAfter", notAfter == null ? null : notAfter.toString()) + ",\"uses\":" + uses + "}";
    }
}
