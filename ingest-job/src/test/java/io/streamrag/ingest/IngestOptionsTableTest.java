package io.streamrag.ingest;

import io.streamrag.common.config.OptionsTable;
import io.streamrag.common.testing.LocalServices;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's option table (key, type, default, description) is the one IngestOptions generates. */
class IngestOptionsTableTest {

    @Test
    void readmeTableMatchesTheConfigOptions() throws Exception {
        String readme = Files.readString(LocalServices.repositoryRoot().resolve("ingest-job/README.md"));
        assertThat(OptionsTable.section(readme))
                .as("ingest-job/README.md options table; regenerate with bin/rag options --markdown ingest --update-readme")
                .isEqualTo(OptionsTable.markdown(IngestOptions.class));
    }
}
