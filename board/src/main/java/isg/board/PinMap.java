package isg.board;

/**
 * BCM GPIO numbers of the front panel: five LED outputs (active high), the tamper loop input
 * (normally closed to ground, pull-up: low = closed) and the zeroise button (to ground,
 * pull-up: low = pressed). Defaults for the Raspberry Pi 4 and 5 header (the same BCM numbers;
 * the Pi 5's header sits on another gpiochip, which the gpiod provider resolves).
 */
public record PinMap(String name, int run, int insideLink, int outsideLink, int hsm, int alarm, int tamper,
        int zeroise) {

    public static final PinMap PI4 = new PinMap("pi4", 17, 27, 22, 23, 24, 5, 6);
    public static final PinMap PI5 = new PinMap("pi5", 17, 27, 22, 23, 24, 5, 6);

    int pin(Led led) {
        return switch (led) {
            case RUN -> run;
            case INSIDE_LINK -> insideLink;
            case OUTSIDE_LINK -> outsideLink;
            case HSM -> hsm;
            case ALARM -> alarm;
        };
    }

    public static PinMap named(String name) {
        return switch (name) {
            case "pi4" -> PI4;
            case "pi5" -> PI5;
            default -> throw new IllegalArgumentException("pin map '" + name + "' is unknown; pi4 or pi5");
        };
    }
}
