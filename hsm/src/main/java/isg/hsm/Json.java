package isg.hsm;

/** The little JSON this module writes (audit lines, metadata, CLI output) and reads (metadata). */
final class Json {

    private Json() {
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    static String field(String name, String value) {
        return quote(name) + ":" + quote(value);
    }

    /**
     * The value of a top-level field of a flat JSON object this module wrote, or null. Not a
     * general parser: metadata objects are flat and written with {@link #field}.
     */
    static String get(String json, String name) {
        String key = quote(name) + ":";
        int i = json.indexOf(key);
        if (i < 0) {
            return null;
        }
        i += key.length();
        if (json.startsWith("null", i)) {
            return null;
        }
        if (json.charAt(i) != '"') {
            int end = i;
            while (end < json.length() && json.charAt(end) != ',' && json.charAt(end) != '}') {
                end++;
            }
            return json.substring(i, end);
        }
        StringBuilder b = new StringBuilder();
        for (int j = i + 1; j < json.length(); j++) {
            char c = json.charAt(j);
            if (c == '"') {
                return b.toString();
            }
            if (c == '\\' && j + 1 < json.length()) {
                char n = json.charAt(++j);
                switch (n) {
                    case 'n':
                        b.append('\n');
                        break;
                    case 'r':
                        b.append('\r');
                        break;
                    case 't':
                        b.append('\t');
                        break;
                    case 'u':
                        b.append((char) Integer.parseInt(json.substring(j + 1, j + 5), 16));
                        j += 4;
                        break;
                    default:
                        b.append(n);
                }
            } else {
                b.append(c);
            }
        }
        throw new IllegalArgumentException("unterminated string for field " + name);
    }
}
