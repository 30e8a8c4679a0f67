package io.streamrag.common.config;

import io.streamrag.common.testing.LocalServices;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** The main README's table of the shared options is the one their ConfigOptions generate. */
class SharedOptionsTableTest {

    @Test
    void readmeTableMatchesTheConfigOptions() throws Exception {
        String readme = Files.readString(LocalServices.repositoryRoot().resolve("README.md"));
        assertThat(OptionsTable.section(readme))
                .as("README.md options table; regenerate with bin/rag options --markdown shared --update-readme")
                .isEqualTo(OptionsTable.markdown(ConfigKeys.SHARED.toArray(new Class<?>[0])));
    }
}
