package isg.status;

/** A process that only reports status, for the Last Will test: killed hard by the test. */
public final class StatusChild {

    private StatusChild() {
    }

    public static void main(String[] args) throws Exception {
        MqttStatus s = new MqttStatus(new MqttStatus.Options(args[0], "isg", "child", null, 60, 100),
                () -> "{\"child\":true}", () -> "{}");
        for (int i = 0; i < 200 && !s.connected(); i++) {
            Thread.sleep(50);
        }
        System.out.println(s.connected() ? "connected" : "not connected");
        Thread.sleep(120_000);
    }
}
