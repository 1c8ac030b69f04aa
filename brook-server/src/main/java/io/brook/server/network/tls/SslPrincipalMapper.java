package io.brook.server.network.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Kafka's {@code ssl.principal.mapping.rules}: from a client certificate's subject (its distinguished name in
 * RFC 2253 form, e.g. {@code CN=alice,OU=eng,O=acme}) to the principal's name. The rules are tried in order and
 * the first that applies decides: {@code RULE:pattern/replacement/} applies when the pattern matches the whole
 * name and gives the name with the pattern's matches replaced ({@code $1}... are its groups), lower- or
 * upper-cased with a trailing {@code L} or {@code U}; {@code DEFAULT} applies to any name and keeps it as it is.
 * When no rule applies the client is not authenticated, as in Kafka. Pure; immutable, so thread-safe.
 */
public final class SslPrincipalMapper {
    private final List<Rule> rules;

    private SslPrincipalMapper(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** One rule: DEFAULT, or a pattern, its replacement and an optional case change. */
    record Rule(Pattern pattern, String replacement, Character caseChange) {
        static final Rule DEFAULT = new Rule(null, null, null);

        Optional<String> apply(String name) {
            if (pattern == null) {
                return Optional.of(name);
            }
            Matcher matcher = pattern.matcher(name);
            if (!matcher.matches()) {
                return Optional.empty();
            }
            String mapped = matcher.replaceAll(literalBeyondGroups(replacement, matcher.groupCount()));
            if (caseChange != null) {
                mapped = caseChange == 'L' ? mapped.toLowerCase(Locale.ENGLISH) : mapped.toUpperCase(Locale.ENGLISH);
            }
            return Optional.of(mapped);
        }

        @Override
        public String toString() {
            return pattern == null ? "DEFAULT" : "RULE:" + pattern.pattern() + "/" + replacement + "/"
                    + (caseChange == null ? "" : caseChange);
        }
    }

    /**
     * Parses a rules setting (comma-separated rules; a comma inside a rule's pattern or replacement belongs to
     * the rule). Throws {@link IllegalArgumentException} saying what is wrong and where.
     */
    public static SslPrincipalMapper parse(String setting) {
        String s = setting == null ? "" : setting;
        List<Rule> rules = new ArrayList<>();
        int i = 0;
        while (true) {
            while (i < s.length() && (Character.isWhitespace(s.charAt(i)) || s.charAt(i) == ',')) {
                i++;
            }
            if (i >= s.length()) {
                break;
            }
            if (s.startsWith("DEFAULT", i)) {
                rules.add(Rule.DEFAULT);
                i += "DEFAULT".length();
            } else if (s.startsWith("RULE:", i)) {
                int patternStart = i + "RULE:".length();
                int patternEnd = s.indexOf('/', patternStart);
                int replacementEnd = patternEnd < 0 ? -1 : s.indexOf('/', patternEnd + 1);
                if (replacementEnd < 0) {
                    throw new IllegalArgumentException("the rule at '" + s.substring(i) + "' is not "
                            + "RULE:pattern/replacement/ (optionally followed by L or U)");
                }
                Character caseChange = null;
                int end = replacementEnd + 1;
                if (end < s.length() && (s.charAt(end) == 'L' || s.charAt(end) == 'U')) {
                    caseChange = s.charAt(end);
                    end++;
                }
                Pattern pattern;
                try {
                    pattern = Pattern.compile(s.substring(patternStart, patternEnd));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("the pattern '" + s.substring(patternStart, patternEnd)
                            + "' is not a regular expression: " + e.getDescription());
                }
                rules.add(new Rule(pattern, s.substring(patternEnd + 1, replacementEnd), caseChange));
                i = end;
            } else {
                throw new IllegalArgumentException("'" + s.substring(i) + "' does not start with a rule (DEFAULT "
                        + "or RULE:pattern/replacement/[LU])");
            }
            if (i < s.length() && !Character.isWhitespace(s.charAt(i)) && s.charAt(i) != ',') {
                throw new IllegalArgumentException("unexpected '" + s.substring(i) + "' after the rule "
                        + rules.get(rules.size() - 1) + " (rules are separated by commas)");
            }
        }
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("no rule is given; DEFAULT keeps the certificate's subject as it is");
        }
        return new SslPrincipalMapper(rules);
    }

    /** The principal name of {@code distinguishedName}, or empty when no rule applies to it. */
    public Optional<String> map(String distinguishedName) {
        for (Rule rule : rules) {
            Optional<String> mapped = rule.apply(distinguishedName);
            if (mapped.isPresent()) {
                return mapped;
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return String.join(",", rules.stream().map(Rule::toString).toList());
    }

    /** The replacement with every {@code $n} naming a group the pattern does not have escaped to a literal. */
    private static String literalBeyondGroups(String replacement, int groups) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < replacement.length(); i++) {
            char c = replacement.charAt(i);
            if (c == '\\' && i + 1 < replacement.length()) {
                out.append(c).append(replacement.charAt(++i));
            } else if (c == '$' && i + 1 < replacement.length() && Character.isDigit(replacement.charAt(i + 1))
                    && replacement.charAt(i + 1) - '0' > groups) {
                out.append("\\$");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
