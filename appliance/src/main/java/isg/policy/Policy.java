package isg.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What crosses between this MC system and its partners, as rules an operator can read, deny by
 * default (TS 22.280 R-6.17.2-004/-006). Each gateway decides its own side: a home user's request
 * for a partner's key material or group goes out only if an OUTBOUND rule of the home gateway
 * allows it, and comes in only if an INBOUND rule of the partner gateway allows it. Rules are
 * tried in order; the first whose partner, action, user and target all match decides, and a
 * request no rule matches is denied by {@link #DEFAULT_DENY}. Immutable: a reload builds a new
 * policy and swaps it whole.
 */
public final class Policy {

    public static final String DEFAULT_DENY = "default-deny";

    /** Which way a request crosses, seen from this gateway. */
    public enum Direction {
        /** One of our users asks for something of a partner system. */
        OUTBOUND,
        /** A partner system's user asks for something of ours. */
        INBOUND;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What is asked. */
    public enum Action {
        /** Key material from a KMS (TS 33.180 Annex D: init, keyprov, certcache). */
        KEY_MATERIAL,
        /** Affiliation to a group, or a group call to it (TS 24.282 §6.8). */
        AFFILIATE;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Action parse(String s) {
            for (Action a : values()) {
                if (a.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return a;
                }
            }
            throw new IllegalArgumentException("action '" + s + "' is not key-material or affiliate");
        }
    }

    /**
     * One request to decide.
     *
     * @param user the MC user's URI (e.g. sip:alice@police.home.example)
     * @param target what is asked for: the KMS URI for key material, the group URI for affiliation
     */
    public record Request(Direction direction, String partner, Action action, String user, String target) {
    }

    /** The decision and the rule that made it. */
    public record Decision(boolean allowed, String rule, String reason) {
        public String label() {
            return allowed ? "allow" : "deny";
        }
    }

    /**
     * A rule. {@code partner} is a partner id or "*"; {@code users} and {@code targets} are glob
     * patterns over whole URIs ({@code *} any characters, everything else literal, case-sensitive
     * as SIP URIs' user parts are).
     */
    public record Rule(String name, boolean allow, Direction direction, String partner, Set<Action> actions,
            String users, String targets) {
        public Rule {
            if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}") || name.equals(DEFAULT_DENY)) {
                throw new IllegalArgumentException("a rule name is 1-64 characters of A-Z a-z 0-9 . _ - (and not '"
                        + DEFAULT_DENY + "'), got '" + name + "'");
            }
            actions = Set.copyOf(actions);
            if (actions.isEmpty()) {
                throw new IllegalArgumentException("rule " + name + ": no actions");
            }
            if (direction == null) {
                throw new IllegalArgumentException("rule " + name + ": no direction (outbound or inbound)");
            }
            if (partner == null || !(partner.equals("*") || partner.matches("[A-Za-z0-9._-]{1,64}"))) {
                throw new IllegalArgumentException("rule " + name + ": partner is a partner id or *, got '" + partner + "'");
            }
            compile(users, name + ": users");
            compile(targets, name + ": targets");
        }
    }

    /** A rule with its patterns compiled once. */
    private record Compiled(Rule rule, Pattern users, Pattern targets) {
        boolean matches(Request r) {
            return rule.direction() == r.direction() && (rule.partner().equals("*") || rule.partner().equals(r.partner()))
                    && rule.actions().contains(r.action()) && users.matcher(r.user()).matches()
                    && targets.matcher(r.target()).matches();
        }
    }

    private final List<Rule> rules;
    private final List<Compiled> compiled;

    public Policy(List<Rule> rules) {
        List<String> names = new ArrayList<>();
        List<Compiled> c = new ArrayList<>();
        for (Rule r : rules) {
            if (names.contains(r.name())) {
                throw new IllegalArgumentException("two rules are named " + r.name());
            }
            names.add(r.name());
            c.add(new Compiled(r, compile(r.users(), r.name() + ": users"), compile(r.targets(), r.name() + ": targets")));
        }
        this.rules = List.copyOf(rules);
        this.compiled = List.copyOf(c);
    }

    /** Denies everything. */
    public static Policy denyAll() {
        return new Policy(List.of());
    }

    public List<Rule> rules() {
        return rules;
    }

    public Decision decide(Request r) {
        for (Compiled c : compiled) {
            Rule rule = c.rule();
            if (c.matches(r)) {
                return new Decision(rule.allow(), rule.name(), (rule.allow() ? "allowed" : "denied") + " by rule "
                        + rule.name());
            }
        }
        return new Decision(false, DEFAULT_DENY, "no " + r.direction().label() + " rule allows " + r.action().label()
                + " for " + r.user() + " to " + r.target() + " with partner " + r.partner());
    }

    /** A glob over a whole URI: {@code *} matches any run of characters; nothing else is special. */
    public static Pattern glob(String glob) {
        return compile(glob, "glob");
    }

    static Pattern compile(String glob, String what) {
        if (glob == null || glob.isEmpty()) {
            throw new IllegalArgumentException("rule " + what + ": an empty pattern (use * for anything)");
        }
        String[] parts = glob.split("\\*", -1);
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                re.append(".*");
            }
            re.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
