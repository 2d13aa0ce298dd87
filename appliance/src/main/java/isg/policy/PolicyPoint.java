package isg.policy;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Where this gateway's decisions are made: the policy in force (swapped whole by a reload), and
 * what every decision leaves behind — an audit line naming the rule that decided, an event for
 * MQTT {@code /events}, and a counter per partner, direction, action and outcome. Decisions are
 * taken on event loops; the audit write happens on its own thread so a slow disk never holds one.
 */
public final class PolicyPoint implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PolicyPoint.class.getName());

    private volatile Policy policy;
    private final AuditLog audit;
    private volatile BiConsumer<String, String> events = (t, d) -> { };
    /** partner|direction|action|allow-or-deny|rule → count. */
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private final AtomicLong auditDropped = new AtomicLong();
    private final ExecutorService auditor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(10_000), r -> {
                Thread t = new Thread(r, "isg-policy-audit");
                t.setDaemon(true);
                return t;
            });

    public PolicyPoint(Policy policy, AuditLog audit) {
        this.policy = policy;
        this.audit = audit;
    }

    /** Where decision events go (MQTT {@code /events}): {@code (type, detail)}. */
    public void onEvent(BiConsumer<String, String> listener) {
        this.events = listener;
    }

    public Policy policy() {
        return policy;
    }

    /** Puts a new policy in force; decisions already taken stand, every later one uses it. */
    public void replace(Policy next) {
        this.policy = next;
        LOG.log(System.Logger.Level.INFO, "policy in force: " + next.rules().size() + " rules");
    }

    /** Decides, and records the decision. */
    public Policy.Decision decide(Policy.Request r, String context) {
        Policy.Decision d = policy.decide(r);
        counters.computeIfAbsent(r.partner() + "|" + r.direction().label() + "|" + r.action().label() + "|"
                + d.label() + "|" + d.rule(), k -> new AtomicLong()).incrementAndGet();
        String detail = d.label() + " " + r.direction().label() + " " + r.action().label() + " for " + r.user() + " to "
                + r.target() + " with partner " + r.partner() + " by rule " + d.rule() + (context == null ? "" : " (" + context + ")");
        events.accept("policy-" + d.label(), detail);
        try {
            auditor.execute(() -> {
                LOG.log(d.allowed() ? System.Logger.Level.INFO : System.Logger.Level.WARNING, "policy: " + detail);
                if (audit != null) {
                    try {
                        audit.record(Actor.INTERNAL, "policy-" + r.action().label(), r.partner(), d.rule(),
                                d.allowed() ? "ALLOWED" : "DENIED", detail, false);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "audit: " + e.getMessage());
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            auditDropped.incrementAndGet();
        }
        return d;
    }

    /** Decision counts: {@code partner|direction|action|allow-or-deny|rule} → count. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new java.util.TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** The decision counters as JSON: {@code {"partner":{"outbound":{"key-material":{"allow":{"rule":n}}}}}}. */
    public String countersJson() {
        Map<String, Map<String, Map<String, Map<String, Map<String, Long>>>>> tree = new java.util.TreeMap<>();
        counters().forEach((k, v) -> {
            String[] p = k.split("\\|", 5);
            tree.computeIfAbsent(p[0], x -> new java.util.TreeMap<>()).computeIfAbsent(p[1], x -> new java.util.TreeMap<>())
                    .computeIfAbsent(p[2], x -> new java.util.TreeMap<>()).computeIfAbsent(p[3], x -> new java.util.TreeMap<>())
                    .put(p[4], v);
        });
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(tree);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Prometheus text lines for the decision counters. */
    public void prometheus(StringBuilder b) {
        b.append("# HELP isg_policy_decisions_total Policy decisions by partner, direction, action, outcome and rule.\n");
        b.append("# TYPE isg_policy_decisions_total counter\n");
        counters().forEach((k, v) -> {
            String[] p = k.split("\\|", 5);
            b.append("isg_policy_decisions_total{partner=\"").append(p[0]).append("\",direction=\"").append(p[1])
                    .append("\",action=\"").append(p[2]).append("\",decision=\"").append(p[3]).append("\",rule=\"")
                    .append(p[4]).append("\"} ").append(v).append('\n');
        });
    }

    /** Waits until every decision taken so far is in the audit log (tests, shutdown). */
    public void flush() throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        auditor.execute(done::countDown);
        done.await(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        auditor.shutdown();
        try {
            auditor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
