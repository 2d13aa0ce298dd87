package isg.mc;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Properties;

/** The Streamwide libmikey-sakke test vectors (test resource {@code mikey/streamwide-v4.properties}). */
public final class StreamwideVectors {

    private static final Properties P = new Properties();

    static {
        try (InputStream in = StreamwideVectors.class.getResourceAsStream("/mikey/streamwide-v4.properties")) {
            P.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private StreamwideVectors() {
    }

    public static String text(String k) {
        String v = P.getProperty(k);
        if (v == null) {
            throw new IllegalArgumentException("no vector " + k);
        }
        return v;
    }

    public static byte[] hex(String k) {
        return HexFormat.of().parseHex(text(k));
    }

    public static int id(String k) {
        return (int) Long.parseLong(text(k), 16);
    }

    public static byte[] message(String k) {
        return Base64.getDecoder().decode(text(k + ".message"));
    }
}
