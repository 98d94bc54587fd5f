package dev.strata.relay;

/** A configuration the relay refuses to start with; the message names the bad key. */
final class ConfigException extends Exception {
    ConfigException(String message) {
        super(message);
    }
}
