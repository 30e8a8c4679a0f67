package io.streamrag.common.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;

/**
 * Range checks of an option's value, for the {@code *Settings.from(conf)} factories and a job's build: a value an
 * operator could not run with fails the submission with its key and the allowed range ("query.k must be between 1 and
 * query.max-k (50), was 60") instead of failing an operator's open() on the TaskManager at every restart.
 */
public final class ConfigChecks {

    private ConfigChecks() {}

    /** {@code option}'s value, or an error naming it when it is below {@code min}. */
    public static int atLeast(Configuration conf, ConfigOption<Integer> option, int min) {
        int value = conf.get(option);
        if (value < min) {
            throw new IllegalArgumentException(option.key() + " must be at least " + min + ", was " + value);
        }
        return value;
    }

    /** {@code option}'s value, or an error naming it when it is outside {@code [min, max]}. */
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

    /** {@code option}'s value, or an error naming it when it is shorter than {@code min}. */
    public static Duration atLeast(Configuration conf, ConfigOption<Duration> option, Duration min) {
        Duration value = conf.get(option);
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(option.key() + " must be at least " + format(min) + ", was " + format(value));
        }
        return value;
    }

    /** {@code option}'s value, or an error naming it when it is outside {@code [min, max]}. */
    public static Duration between(Configuration conf, ConfigOption<Duration> option, Duration min, Duration max) {
        Duration value = conf.get(option);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(option.key() + " must be between " + format(min) + " and " + format(max)
                    + ", was " + format(value));
        }
        return value;
    }

    /** As Flink writes durations ("500 ms", "2 min"); zero as "0 ms" rather than Flink's "0 d". */
    static String format(Duration d) {
        if (d.isZero()) {
            return "0 ms";
        }
        return TimeUtils.formatWithHighestUnit(d);
    }
}
