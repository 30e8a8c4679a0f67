package io.streamrag.query;

import io.streamrag.common.config.OptionsTable;
import io.streamrag.common.testing.LocalServices;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's option table (key, type, default, description) is the one QueryOptions generates. */
class QueryOptionsTableTest {

    @Test
    void readmeTableMatchesTheConfigOptions() throws Exception {
        String readme = Files.readString(LocalServices.repositoryRoot().resolve("query-job/README.md"));
        assertThat(OptionsTable.section(readme))
                .as("query-job/README.md options table; regenerate with bin/rag options --markdown query --update-readme")
                .isEqualTo(OptionsTable.markdown(QueryOptions.class));
    }
}
