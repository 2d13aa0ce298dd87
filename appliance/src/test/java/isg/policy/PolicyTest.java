package isg.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.policy.Policy.Action;
import isg.policy.Policy.Direction;
import isg.policy.Policy.Request;
import isg.policy.Policy.Rule;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyTest {

    static final Set<Action> KEYS = Set.of(Action.KEY_MATERIAL);

    @Test
    void nothingCrossesWithoutARule() {
        Policy.Decision d = Policy.denyAll().decide(new Request(Direction.OUTBOUND, "fire", Action.KEY_MATERIAL,
                "sip:a@police.example", "kms.fire.example"));
        assertFalse(d.allowed());
        assertEquals("default-deny", d.rule());
        assertEquals("no outbound rule allows key-material for sip:a@police.example to kms.fire.example with partner fire",
                d.reason());
    }

    @Test
    void theFirstMatchingRuleDecidesAndEachSideIsSeparate() {
        Policy p = new Policy(List.of(
                new Rule("no-trainees", false, Direction.OUTBOUND, "*", KEYS, "sip:trainee-*", "*"),
                new Rule("police", true, Direction.OUTBOUND, "fire", KEYS, "sip:*@police.example", "kms.fire.example")));
        assertEquals("police", p.decide(new Request(Direction.OUTBOUND, "fire", Action.KEY_MATERIAL,
                "sip:officer@police.example", "kms.fire.example")).rule());
        assertEquals("no-trainees", p.decide(new Request(Direction.OUTBOUND, "fire", Action.KEY_MATERIAL,
                "sip:trainee-1@police.example", "kms.fire.example")).rule());
        // the same request seen inbound, for another partner, for another action, or another target: no rule
        for (Request r : List.of(
                new Request(Direction.INBOUND, "fire", Action.KEY_MATERIAL, "sip:officer@police.example", "kms.fire.example"),
                new Request(Direction.OUTBOUND, "ambulance", Action.KEY_MATERIAL, "sip:officer@police.example",
                        "kms.fire.example"),
                new Request(Direction.OUTBOUND, "fire", Action.AFFILIATE, "sip:officer@police.example", "kms.fire.example"),
                new Request(Direction.OUTBOUND, "fire", Action.KEY_MATERIAL, "sip:officer@police.example",
                        "kms.fire.example.evil"))) {
            assertEquals("default-deny", p.decide(r).rule(), r.toString());
        }
    }

    @Test
    void aPatternIsAGlobOverTheWholeUriAndNothingElseIsSpecial() {
        Policy p = new Policy(List.of(new Rule("dots", true, Direction.INBOUND, "*", KEYS, "sip:a.b@x.example", "*")));
        assertTrue(p.decide(new Request(Direction.INBOUND, "p", Action.KEY_MATERIAL, "sip:a.b@x.example", "k")).allowed());
        // '.' is literal, not "any character"; a match is of the whole URI, not a part
        assertFalse(p.decide(new Request(Direction.INBOUND, "p", Action.KEY_MATERIAL, "sip:aXb@x.example", "k")).allowed());
        assertFalse(p.decide(new Request(Direction.INBOUND, "p", Action.KEY_MATERIAL, "sip:a.b@x.example.evil", "k"))
                .allowed());
    }

    @Test
    void badRulesAreRefusedByName() {
        assertEquals("two rules are named r", assertThrows(IllegalArgumentException.class, () -> new Policy(List.of(
                new Rule("r", true, Direction.INBOUND, "*", KEYS, "*", "*"),
                new Rule("r", false, Direction.INBOUND, "*", KEYS, "*", "*")))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new Rule("default-deny", true, Direction.INBOUND, "*", KEYS, "*", "*")).getMessage()
                .contains("not 'default-deny'"));
        assertEquals("rule r: users: an empty pattern (use * for anything)", assertThrows(IllegalArgumentException.class,
                () -> new Rule("r", true, Direction.INBOUND, "*", KEYS, "", "*")).getMessage());
        assertEquals("rule r: no actions", assertThrows(IllegalArgumentException.class,
                () -> new Rule("r", true, Direction.INBOUND, "*", Set.of(), "*", "*")).getMessage());
        assertEquals("action 'everything' is not key-material or affiliate",
                assertThrows(IllegalArgumentException.class, () -> Action.parse("everything")).getMessage());
    }
}
