package isg.config;

/** A configuration file that cannot be used: the message names the file, the line, the field and the expected form. */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
