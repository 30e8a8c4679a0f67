package io.streamrag.common.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An option outside its range is refused with its key, the range and the value; one inside is returned. */
class OptionChecksTest {

    private static final ConfigOption<Integer> COUNT = ConfigOptions.key("sample.count").intType().defaultValue(4);
    private static final ConfigOption<Integer> MAX_COUNT = ConfigOptions.key("sample.max-count").intType().defaultValue(8);
    private static final ConfigOption<Duration> TTL = ConfigOptions.key("sample.ttl").durationType()
            .defaultValue(Duration.ofMinutes(2));

    @Test
    void integers() {
        Configuration conf = new Configuration();
        assertThat(OptionChecks.atLeast(conf, COUNT, 1)).isEqualTo(4);
        assertThat(OptionChecks.between(conf, COUNT, 4, 4)).isEqualTo(4);
        assertThat(OptionChecks.between(conf, COUNT, 1, MAX_COUNT)).isEqualTo(4);
        conf.set(COUNT, 0);
        assertThatThrownBy(() -> OptionChecks.atLeast(conf, COUNT, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sample.count must be at least 1, was 0");
        assertThatThrownBy(() -> OptionChecks.between(conf, COUNT, 1, 10)).hasMessage("sample.count must be between 1 and 10, was 0");
        conf.set(COUNT, 9);
        assertThatThrownBy(() -> OptionChecks.between(conf, COUNT, 1, MAX_COUNT))
                .hasMessage("sample.count must be between 1 and sample.max-count (8), was 9");
    }

    private static final ConfigOption<MemorySize> SIZE = ConfigOptions.key("sample.size").memoryType()
            .defaultValue(MemorySize.ofMebiBytes(64));
    private static final ConfigOption<MemorySize> SIZE_TOTAL = ConfigOptions.key("sample.size-total").memoryType()
            .defaultValue(MemorySize.ofMebiBytes(256));

    @Test
    void anOptionThatMayNotBeBelowAnother() {
        Configuration conf = new Configuration();
        assertThat(OptionChecks.atLeast(conf, MAX_COUNT, COUNT)).isEqualTo(8);
        assertThat(OptionChecks.atLeastSize(conf, SIZE_TOTAL, SIZE)).isEqualTo(MemorySize.ofMebiBytes(256));
        conf.set(MAX_COUNT, 3);
        assertThatThrownBy(() -> OptionChecks.atLeast(conf, MAX_COUNT, COUNT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sample.max-count must be at least sample.count (4), was 3");
        conf.set(SIZE_TOTAL, MemorySize.ofMebiBytes(32));
        assertThatThrownBy(() -> OptionChecks.atLeastSize(conf, SIZE_TOTAL, SIZE))
                .hasMessage("sample.size-total must be at least sample.size (64 mb), was 32 mb");
    }

    @Test
    void durationsAreWrittenAsFlinkReadsThem() {
        Configuration conf = new Configuration();
        assertThat(OptionChecks.atLeast(conf, TTL, Duration.ofMillis(1))).isEqualTo(Duration.ofMinutes(2));
        conf.set(TTL, Duration.ZERO);
        assertThatThrownBy(() -> OptionChecks.atLeast(conf, TTL, Duration.ofMillis(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sample.ttl must be at least 1 ms, was 0 ms");
        conf.set(TTL, Duration.ofMinutes(90));
        assertThatThrownBy(() -> OptionChecks.between(conf, TTL, Duration.ofMillis(1), Duration.ofHours(1)))
                .hasMessage("sample.ttl must be between 1 ms and 1 h, was 90 min");
        assertThat(OptionChecks.human(Duration.ofNanos(900_000))).isEqualTo("900 µs");
        assertThat(OptionChecks.human(Duration.ofDays(400_000_000))).isEqualTo("400000000 d"); // past a long of nanos
    }
}
