package isg;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import isg.config.GatewayConfig;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The partners as the operator sees them: for each, what is configured (its gateway's address and
 * TLS identity, its MC domains and groups, the interconnect key's label, the rules that name it)
 * and its state (the channel, the policy decisions taken for it). No secret is in it.
 */
final class PartnerView implements isg.control.Partners {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Supplier<GatewayConfig> config;
    private final isg.channel.ChannelService channel;
    private final isg.policy.PolicyPoint policy;

    PartnerView(Supplier<GatewayConfig> config, isg.channel.ChannelService channel, isg.policy.PolicyPoint policy) {
        this.config = config;
        this.channel = channel;
        this.policy = policy;
    }

    @Override
    public String list() {
        ArrayNode a = JSON.createArrayNode();
        for (String id : config.get().relay().partners().keySet()) {
            a.add(partner(id));
        }
        return a.toString();
    }

    @Override
    public String show(String id) {
        return config.get().relay().partners().containsKey(id) ? partner(id).toString() : null;
    }

    private ObjectNode partner(String id) {
        GatewayConfig c = config.get();
        ObjectNode p = JSON.createObjectNode();
        p.put("id", id);
        p.put("interconnectKey", c.relay().partners().get(id));
        strings(p.putArray("domains"), c.partnerDomains().getOrDefault(id, List.of()));
        strings(p.putArray("groups"), c.partnerGroups().getOrDefault(id, List.of()));
        isg.channel.ChannelConfig.Partner cp = c.channel() == null ? null : c.channel().partners().get(id);
        if (cp == null) {
            p.putNull("channel");
        } else {
            ObjectNode ch = p.putObject("channel");
            ch.put("connect", cp.connect() == null ? null : cp.connect().getHostString() + ":" + cp.connect().getPort());
            ch.put("identity", cp.identity());
            strings(ch.putArray("services"), List.copyOf(cp.services().keySet()));
            strings(ch.putArray("exports"), List.copyOf(cp.exports().keySet()));
            String state = channel == null ? null : channel.partnerStatusJson(id);
            try {
                ch.set("state", state == null ? null : JSON.readTree(state));
            } catch (IOException e) {
                ch.put("state", "unreadable");
            }
        }
        ArrayNode rules = p.putArray("rules");
        for (isg.policy.Policy.Rule r : c.policy().rules()) {
            if (r.partner().equals("*") || r.partner().equals(id)) {
                ObjectNode o = rules.addObject();
                o.put("rule", r.name()).put("decision", r.allow() ? "allow" : "deny")
                        .put("direction", r.direction().label()).put("partner", r.partner());
                ArrayNode acts = o.putArray("actions");
                r.actions().stream().map(isg.policy.Policy.Action::label).sorted().forEach(acts::add);
                o.put("users", r.users()).put("targets", r.targets());
            }
        }
        ObjectNode decisions = p.putObject("decisions");
        if (policy != null) {
            for (Map.Entry<String, Long> e : policy.counters().entrySet()) {
                if (e.getKey().startsWith(id + "|")) {
                    decisions.put(e.getKey().substring(id.length() + 1), e.getValue());
                }
            }
        }
        return p;
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }
}
