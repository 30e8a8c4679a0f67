package io.streamrag.common.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigKeysTest {

    /** A job's options class as the tests see it. */
    public static final class SampleOptions {
        public static final ConfigOption<Integer> OCR_THREADS = ConfigOptions.key("sample.ocr.threads").intType()
                .defaultValue(2).withDescription("OCR threads.");
        public static final ConfigOption<Duration> DEDUP_TTL = ConfigOptions.key("sample.dedup.ttl").durationType()
                .defaultValue(Duration.ofDays(7)).withDeprecatedKeys("sample.dedup-ttl-ms").withDescription("TTL | 50 %.");
        static final ConfigOption<String> HIDDEN = ConfigOptions.key("sample.hidden").stringType().noDefaultValue();
    }

    private final ConfigKeys keys = ConfigKeys.forJob(SampleOptions.class);

    @Test
    void knowsTheJobsKeysTheirOldKeysTheSharedOnesAndFlinksJobOptions() {
        assertThat(keys.keys()).contains("sample.ocr.threads", "sample.dedup.ttl", "sample.dedup-ttl-ms",
                "kafka.bootstrap-servers", "topics.questions", "embedding.provider", "opensearch.url",
                "parallelism.default", "pipeline.name", "execution.checkpointing.interval", "state.backend.type",
                "restart-strategy.type", "config");
        assertThat(keys.contains("sample.hidden")).as("only public fields are options").isFalse();
        assertThat(keys.contains("taskmanager.memory.process.size")).as("cluster options are not job arguments").isFalse();
    }

    @Test
    void rejectsAMisspelledKeyWithTheNearestKnownOne() {
        assertThatThrownBy(() -> keys.check(List.of("sample.dedup.ttl", "sample.ocr.thread")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Unknown option 'sample.ocr.thread': did you mean sample.ocr.threads?");
        assertThat(keys.suggest("ocr.threads")).isEqualTo("sample.ocr.threads");
        assertThat(keys.suggest("paralelism.default")).isEqualTo("parallelism.default");
        assertThat(keys.suggest("something.else.entirely")).isNull();
    }

    @Test
    void fromArgsRejectsUnknownKeysInArgumentsAndInTheFile() throws Exception {
        assertThat(Configs.fromArgs(new String[] {"--sample.ocr.threads", "3", "--parallelism.default", "2"}, keys)
                .get(SampleOptions.OCR_THREADS)).isEqualTo(3);
        assertThatThrownBy(() -> Configs.fromArgs(new String[] {"--sample.ocr-threads", "3"}, keys))
                .hasMessageContaining("did you mean sample.ocr.threads?");
        Path file = Files.createTempFile("job", ".properties");
        try {
            Files.writeString(file, "sample.dedup.tll=1 d\n");
            assertThatThrownBy(() -> Configs.fromArgs(new String[] {"--config", file.toString()}, keys))
                    .hasMessageContaining("Unknown option 'sample.dedup.tll': did you mean sample.dedup.ttl?");
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void tableHasKeyTypeDefaultAndDescriptionPerOption() {
        assertThat(OptionsTable.markdown(SampleOptions.class)).isEqualTo(
                "| Key | Type | Default | Description |\n|---|---|---|---|\n"
                        + "| `sample.ocr.threads` | Integer | `2` | OCR threads. |\n"
                        + "| `sample.dedup.ttl` | Duration | `7 d` | TTL \\| 50 %. Also read from `sample.dedup-ttl-ms`. |\n");
    }

    @Test
    void sectionIsReplacedBetweenTheMarkers() {
        String readme = "intro\n" + OptionsTable.BEGIN + "\nold\n" + OptionsTable.END + "\nafter\n";
        String updated = OptionsTable.replaceSection(readme, "| new |\n");
        assertThat(updated).isEqualTo("intro\n" + OptionsTable.BEGIN + "\n| new |\n" + OptionsTable.END + "\nafter\n");
        assertThat(OptionsTable.section(updated)).isEqualTo("| new |\n");
    }
}
