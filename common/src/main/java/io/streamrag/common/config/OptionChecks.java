package io.streamrag.common.config;

import io.streamrag.common.security.Secrets;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;

/**
 * Range checks of option values, for the settings classes' {@code from(conf)} (read when a job is built): a bad value
 * fails the submission with a message that names its key and the allowed range, instead of failing an operator's
 * {@code open()} on every restart or every record. Each returns the value it checked.
 */
public final class OptionChecks {

    private OptionChecks() {}

    /** {@code option}'s value; "KEY must be at least MIN, was V" below {@code min}. */
    public static int atLeast(Configuration conf, ConfigOption<Integer> option, int min) {
        int value = conf.get(option);
        if (value < min) {
            throw new IllegalArgumentException(option.key() + " must be at least " + min + ", was " + value);
        }
        return value;
    }

    /** {@code option}'s value, or "KEY must be at least MINKEY (min), was V" below {@code minOption}'s value. */
    public static int atLeast(Configuration conf, ConfigOption<Integer> option, ConfigOption<Integer> minOption) {
        int value = conf.get(option);
        int min = conf.get(minOption);
        if (value < min) {
            throw new IllegalArgumentException(option.key() + " must be at least " + minOption.key() + " (" + min
                    + "), was " + value);
        }
        return value;
    }

    /** {@code option}'s size, or "KEY must be at least MINKEY (min), was V" below {@code minOption}'s size. */
    public static MemorySize atLeastSize(Configuration conf, ConfigOption<MemorySize> option, ConfigOption<MemorySize> minOption) {
        MemorySize value = conf.get(option);
        MemorySize min = conf.get(minOption);
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(option.key() + " must be at least " + minOption.key() + " (" + min
                    + "), was " + value);
        }
        return value;
    }

    /** {@code option}'s value; "KEY must be between MIN and MAX, was V" outside them (both included). */
    public static int between(Configuration conf, ConfigOption<Integer> option, int min, int max) {
        int value = conf.get(option);
        if (value < min || value > max) {
            throw new IllegalArgumentException(option.key() + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    /** {@code option}'s value, or an error naming both options when it is outside {@code [min, maxOption's value]}. */
    public static int between(Configuration conf, ConfigOption<Integer> option, int min, ConfigOption<Integer> maxOption) {
        int value = conf.get(option);
        int max = conf.get(maxOption);
        if (value < min || value > max) {
            throw new IllegalArgumentException(option.key() + " must be between " + min + " and " + maxOption.key() + " ("
                    + max + "), was " + value);
        }
        return value;
    }

    /** {@code option}'s value; "KEY must be at least MIN, was V" below {@code min}. */
    public static Duration atLeast(Configuration conf, ConfigOption<Duration> option, Duration min) {
        Duration value = conf.get(option);
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(option.key() + " must be at least " + human(min) + ", was " + human(value));
        }
        return value;
    }

    /** {@code option}'s value, or an error naming it when it is outside {@code [min, max]}. */
    public static Duration between(Configuration conf, ConfigOption<Duration> option, Duration min, Duration max) {
        Duration value = conf.get(option);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(option.key() + " must be between " + human(min) + " and " + human(max)
                    + ", was " + human(value));
        }
        return value;
    }

    /**
     * A URL option's value, which must be set (not blank) and an absolute http(s) URL with a host: {@code needed} says
     * what needs it ("for embedding provider OPENAI"); the value is named with its user info and query masked.
     */
    public static String httpUrl(Configuration conf, ConfigOption<String> option, String needed) {
        String value = conf.get(option);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("Option '" + option.key() + "' is required " + needed);
        }
        String problem;
        try {
            URI uri = new URI(value.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            problem = !scheme.equals("http") && !scheme.equals("https") ? "its scheme is not http or https"
                    : uri.getHost() == null ? "it has no host" : null;
        } catch (URISyntaxException e) {
            problem = e.getReason();
        }
        if (problem != null) {
            throw new IllegalArgumentException("Option '" + option.key() + "' must be an http(s) URL such as "
                    + "http://host:8080/v1 (" + problem + "), was '" + Secrets.masked(value) + "'");
        }
        return value;
    }

    /** As Flink writes durations ("500 ms", "2 min"); zero as "0 ms" rather than Flink's "0 d". */
    static String human(Duration d) {
        if (d.isZero()) {
            return "0 ms";
        }
        return d.isNegative() ? d.toString() : TimeUtils.formatWithHighestUnit(d);
    }
}
