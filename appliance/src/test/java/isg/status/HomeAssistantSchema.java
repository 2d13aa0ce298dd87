package isg.status;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Home Assistant's documented MQTT discovery schema for the two components ISG announces
 * (home-assistant.io: "MQTT Discovery", "MQTT Sensor", "MQTT Binary sensor", the sensor and
 * binary sensor device classes), written down here from the documentation, not from ISG's code:
 * what Home Assistant would refuse or mis-show. {@link #problems} lists every violation.
 */
final class HomeAssistantSchema {

    private HomeAssistantSchema() {
    }

    /** Discovery topic: {@code <prefix>/<component>/[<node_id>/]<object_id>/config}, ids of [a-zA-Z0-9_-]. */
    static final String TOPIC = "homeassistant/(sensor|binary_sensor)/([a-zA-Z0-9_-]+/)?[a-zA-Z0-9_-]+/config";

    static final Set<String> COMMON = Set.of("name", "unique_id", "object_id", "default_entity_id", "state_topic",
            "value_template", "availability_topic", "payload_available", "payload_not_available", "availability",
            "availability_mode", "device", "origin", "device_class", "entity_category", "icon", "qos",
            "json_attributes_topic", "json_attributes_template", "enabled_by_default", "expire_after",
            "force_update", "encoding", "platform");
    static final Set<String> SENSOR_ONLY = Set.of("unit_of_measurement", "state_class", "options",
            "suggested_display_precision", "last_reset_value_template");
    static final Set<String> BINARY_ONLY = Set.of("payload_on", "payload_off", "off_delay");
    static final Set<String> STATE_CLASSES = Set.of("measurement", "measurement_angle", "total", "total_increasing");
    static final Set<String> SENSOR_CLASSES = Set.of("apparent_power", "aqi", "area", "atmospheric_pressure", "battery",
            "blood_glucose_concentration", "carbon_dioxide", "carbon_monoxide", "current", "data_rate", "data_size",
            "date", "distance", "duration", "energy", "energy_distance", "energy_storage", "enum", "frequency", "gas",
            "humidity", "illuminance", "irradiance", "moisture", "monetary", "nitrogen_dioxide", "nitrogen_monoxide",
            "nitrous_oxide", "ozone", "ph", "pm1", "pm10", "pm25", "power", "power_factor", "precipitation",
            "precipitation_intensity", "pressure", "reactive_energy", "reactive_power", "signal_strength",
            "sound_pressure", "speed", "sulphur_dioxide", "temperature", "timestamp", "volatile_organic_compounds",
            "volatile_organic_compounds_parts", "voltage", "volume", "volume_flow_rate", "volume_storage", "water",
            "weight", "wind_direction", "wind_speed");
    static final Set<String> BINARY_CLASSES = Set.of("battery", "battery_charging", "carbon_monoxide", "cold",
            "connectivity", "door", "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving",
            "occupancy", "opening", "plug", "power", "presence", "problem", "running", "safety", "smoke", "sound",
            "tamper", "update", "vibration", "window");
    static final Set<String> DEVICE = Set.of("identifiers", "connections", "name", "manufacturer", "model", "model_id",
            "sw_version", "hw_version", "serial_number", "suggested_area", "via_device", "configuration_url");
    static final Set<String> ORIGIN = Set.of("name", "sw_version", "support_url");

    /** Every way {@code config}, published at {@code topic}, breaks the documented schema; empty when none. */
    static List<String> problems(String topic, JsonNode config) {
        List<String> p = new ArrayList<>();
        if (!topic.matches(TOPIC)) {
            p.add("topic " + topic + " is not <prefix>/<component>/<node_id>/<object_id>/config with ids of [a-zA-Z0-9_-]");
            return p;
        }
        boolean sensor = topic.startsWith("homeassistant/sensor/");
        for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!COMMON.contains(f) && !(sensor ? SENSOR_ONLY : BINARY_ONLY).contains(f)) {
                p.add(topic + ": '" + f + "' is not an option of this component");
            }
        }
        String stateTopic = text(config, "state_topic");
        if (stateTopic == null || stateTopic.isEmpty() || stateTopic.contains("+") || stateTopic.contains("#")) {
            p.add(topic + ": state_topic must be a topic without wildcards");
        }
        String unique = text(config, "unique_id");
        if (unique == null || unique.isEmpty()) {
            p.add(topic + ": unique_id is needed for an entity of a device");
        }
        String cls = text(config, "device_class");
        if (cls != null && !(sensor ? SENSOR_CLASSES : BINARY_CLASSES).contains(cls)) {
            p.add(topic + ": device_class '" + cls + "' is not a " + (sensor ? "sensor" : "binary sensor") + " class");
        }
        String stateClass = text(config, "state_class");
        if (stateClass != null && !STATE_CLASSES.contains(stateClass)) {
            p.add(topic + ": state_class '" + stateClass + "'");
        }
        if ("enum".equals(cls) && (!config.path("options").isArray() || config.has("unit_of_measurement")
                || config.has("state_class"))) {
            p.add(topic + ": an enum sensor has options and neither a unit nor a state class");
        }
        if ("temperature".equals(cls) && !Set.of("°C", "°F", "K").contains(text(config, "unit_of_measurement"))) {
            p.add(topic + ": a temperature is in °C, °F or K");
        }
        if (sensor && !"enum".equals(cls) && stateClass == null) {
            p.add(topic + ": a number without a state_class gets no long-term statistics");
        }
        JsonNode device = config.get("device");
        if (device == null || !device.isObject()) {
            p.add(topic + ": no device block");
        } else {
            device.fieldNames().forEachRemaining(f -> {
                if (!DEVICE.contains(f)) {
                    p.add(topic + ": device." + f + " is not a device option");
                }
            });
            JsonNode ids = device.get("identifiers");
            if ((ids == null || !(ids.isArray() || ids.isTextual())) && !device.has("connections")) {
                p.add(topic + ": device needs identifiers or connections");
            }
        }
        JsonNode origin = config.get("origin");
        if (origin == null || text(origin, "name") == null) {
            p.add(topic + ": origin.name is required in an origin block");
        } else {
            origin.fieldNames().forEachRemaining(f -> {
                if (!ORIGIN.contains(f)) {
                    p.add(topic + ": origin." + f + " is not an origin option");
                }
            });
        }
        return p;
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }
}
