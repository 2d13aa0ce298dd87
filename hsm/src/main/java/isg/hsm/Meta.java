package isg.hsm;

import java.time.Instant;
import java.util.HexFormat;

/** What the vault stores about an entry beside it (type, purpose, owner, dates); as JSON in the vault. */
record Meta(String label, byte[] id, KeyType type, KeyPurpose purpose, String owner, int bits, Instant created,
        Instant notAfter) {

    String idHex() {
        return HexFormat.of().formatHex(id);
    }

    String toJson() {
        return "{" + Json.field("label", label) + "," + Json.field("id", idHex()) + "," + Json.field("type", type.name())
                + "," + Json.field("purpose", purpose.name()) + "," + Json.field("owner", owner) + ",\"bits\":" + bits
                + "," + Json.field("created", created.toString()) + ","
                + Json.field("notAfter", notAfter == null ? null : notAfter.toString()) + "}";
    }

    static Meta fromJson(String json) {
        String notAfter = Json.get(json, "notAfter");
        return new Meta(Json.get(json, "label"), HexFormat.of().parseHex(Json.get(json, "id")),
                KeyType.valueOf(Json.get(json, "type")), KeyPurpose.valueOf(Json.get(json, "purpose")),
                Json.get(json, "owner"), Integer.parseInt(Json.get(json, "bits")), Instant.parse(Json.get(json, "created")),
                notAfter == null ? null : Instant.parse(notAfter));
    }

    KeyInfo info(String token, long uses) {
        String t = switch (type) {
            case AES -> "secret-key";
            case EC_P256 -> "private";
            case CERTIFICATE -> "cert";
        };
        return new KeyInfo(label, idHex(), Pkcs11Uri.of(token, label, id, t).toString(), type, purpose, owner, bits,
                created, notAfter, uses);
    }
}
