package io.streamrag.cli;

import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;

import java.time.Duration;
import java.time.format.DateTimeParseException;

/**
 * Durations on the command line as Flink's configuration writes them ({@code 500ms}, {@code 30s}, {@code 2m},
 * {@code 1h}, parsed by {@link TimeUtils#parseDuration}); ISO-8601 ({@code PT2M}) is still accepted.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        String v = value.trim();
        try {
            if (v.startsWith("P") || v.startsWith("p") || v.startsWith("-P")) {
                return Duration.parse(v);
            }
            return TimeUtils.parseDuration(v);
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration (examples: 500ms, 30s, 2m, 1h, or ISO-8601 PT2M)");
        }
    }

    /** How a duration is shown back to the user: {@code 2 min}, {@code 500 ms}. */
    public static String format(Duration d) {
        return TimeUtils.formatWithHighestUnit(d);
    }
}
