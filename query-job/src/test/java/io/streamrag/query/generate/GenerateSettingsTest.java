package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Generate settings no call could run with are refused when the job is built, naming the key. */
class GenerateSettingsTest {

    /** max_tokens below 1: chat calls asked for no tokens at all, while shared-choices calls sent no limit. */
    @Test
    void maxTokensBelowOneIsRefused() {
        assertThatThrownBy(() -> GenerateSettings.from(new Configuration().set(QueryOptions.MAX_TOKENS, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("query.max-tokens must be at least 1, was 0");
    }

    @Test
    void theAdaptiveChecksStillNameTheirKeys() {
        assertThatThrownBy(() -> GenerateSettings.from(new Configuration().set(QueryOptions.ADAPTIVE_WAVE_SIZE, 0)))
                .hasMessage("query.adaptive.wave-size must be at least 1, was 0");
    }
}
