package isg.status;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every alarm the box knows, active or not, from the moment it starts: what the control API's
 * {@code GET /alarms} shows and what MQTT publishes (retained, each one at birth). An alarm is
 * raised and cleared by its condition (the vault answering again, a partner back up); a latched one
 * (tamper) is cleared only by an operator's acknowledgement once its cause is over.
 */
public final class AlarmRegistry {

    /** One alarm's state now. */
    public record State(boolean active, Instant since, String reason) {
        public String json() {
            return "{\"active\":" + active + ",\"time\":\"" + since + "\",\"reason\":"
                    + (reason == null ? "null" : MqttStatus.quote(reason)) + "}";
        }
    }

    /** Told of every change, in order. */
    public interface Listener {
        void changed(String name, State state);
    }

    private final Map<String, State> alarms = new LinkedHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Makes alarms known (inactive unless already raised). */
    public synchronized void declare(String... names) {
        for (String n : names) {
            alarms.putIfAbsent(n, new State(false, Instant.now(), null));
        }
    }

    public void raise(String name, String reason) {
        set(name, new State(true, Instant.now(), reason));
    }

    public void clear(String name) {
        State s;
        synchronized (this) {
            s = alarms.get(name);
        }
        if (s == null || s.active()) {
            set(name, new State(false, Instant.now(), null));
        }
    }

    private void set(String name, State state) {
        synchronized (this) {
            alarms.put(name, state);
        }
        for (Listener l : listeners) {
            l.changed(name, state);
        }
    }

    public synchronized State state(String name) {
        return alarms.get(name);
    }

    public synchronized Map<String, State> all() {
        return Map.copyOf(new LinkedHashMap<>(alarms));
    }

    /** Listens to changes from now on; {@code replay} first tells it every alarm as it is. */
    public void listen(Listener l, boolean replay) {
        if (replay) {
            Map<String, State> now;
            synchronized (this) {
                now = new LinkedHashMap<>(alarms);
            }
            now.forEach(l::changed);
        }
        listeners.add(l);
    }

    /** {"name":{"active":...,"time":...,"reason":...},...} in the order the alarms became known. */
    public synchronized String json() {
        StringBuilder b = new StringBuilder("{");
        alarms.forEach((n, s) -> b.append(b.length() > 1 ? "," : "").append(MqttStatus.quote(n)).append(':')
                .append(s.json()));
        return b.append('}').toString();
    }
}
