package io.brook.cli;

/** The little JSON the CLI writes: escaped strings. */
final class Json {
    private Json() {
    }

    /** Maps, lists, strings, numbers, booleans and null, as JSON. */
    static String value(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return string(s);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof java.util.Map<?, ?> map) {
            StringBuilder b = new StringBuilder("{");
            map.forEach((k, val) -> {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(string(String.valueOf(k))).append(':').append(value(val));
            });
            return b.append('}').toString();
        }
        if (v instanceof Iterable<?> list) {
            StringBuilder b = new StringBuilder("[");
            for (Object item : list) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(value(item));
            }
            return b.append(']').toString();
        }
        return string(v.toString());
    }

    static String string(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
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
}
