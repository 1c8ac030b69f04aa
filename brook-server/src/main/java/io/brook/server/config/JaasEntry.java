package io.brook.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One login module of a {@code sasl.jaas.config} value, in the JAAS syntax Kafka reads:
 * {@code <login module class> <required|requisite|sufficient|optional> [<name>=<value> ...];} where a value is
 * a double-quoted string (backslash escapes the next character) or a bare word. Several modules, each ending
 * in ';', may follow one another. Pure.
 */
record JaasEntry(String loginModule, String flag, Map<String, String> options) {
    private static final List<String> FLAGS = List.of("required", "requisite", "sufficient", "optional");

    /** Every module of {@code text}; IllegalArgumentException (without the text, which holds secrets) if malformed. */
    static List<JaasEntry> parse(String text) {
        Tokens tokens = new Tokens(text);
        List<JaasEntry> entries = new ArrayList<>();
        while (tokens.hasMore()) {
            String module = tokens.word("a login module class");
            String flag = tokens.word("a control flag");
            if (!FLAGS.contains(flag.toLowerCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException("the control flag of " + module + " must be one of " + FLAGS);
            }
            Map<String, String> options = new LinkedHashMap<>();
            while (!tokens.take(';')) {
                String name = tokens.word("an option name or ';'");
                if (!tokens.take('=')) {
                    throw new IllegalArgumentException("the option " + name + " of " + module + " has no '=' value");
                }
                options.put(name, tokens.value(name));
            }
            entries.add(new JaasEntry(module, flag, Map.copyOf(options)));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("it names no login module");
        }
        return entries;
    }

    private static final class Tokens {
        private final String text;
        private int at;

        Tokens(String text) {
            this.text = text;
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        boolean hasMore() {
            skipSpace();
            return at < text.length();
        }

        boolean take(char c) {
            skipSpace();
            if (at < text.length() && text.charAt(at) == c) {
                at++;
                return true;
            }
            if (at >= text.length()) {
                throw new IllegalArgumentException("it ends before '" + c + "' (each login module ends with ';')");
            }
            return false;
        }

        String word(String what) {
            skipSpace();
            int start = at;
            while (at < text.length() && !Character.isWhitespace(text.charAt(at)) && "=;\"".indexOf(text.charAt(at)) < 0) {
                at++;
            }
            if (start == at) {
                throw new IllegalArgumentException("expected " + what + " at character " + start);
            }
            return text.substring(start, at);
        }

        String value(String name) {
            skipSpace();
            if (at < text.length() && text.charAt(at) == '"') {
                StringBuilder out = new StringBuilder();
                at++;
                while (at < text.length() && text.charAt(at) != '"') {
                    char c = text.charAt(at++);
                    if (c == '\\' && at < text.length()) {
                        c = text.charAt(at++);
                    }
                    out.append(c);
                }
                if (at >= text.length()) {
                    throw new IllegalArgumentException("the value of " + name + " has no closing quote");
                }
                at++;
                return out.toString();
            }
            return word("a value for " + name);
        }
    }
}
