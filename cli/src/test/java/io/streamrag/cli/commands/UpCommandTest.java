package io.streamrag.cli.commands;

import io.streamrag.cli.JobLauncher.JobJar;
import io.streamrag.common.config.ConfigKeys;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A misspelled --set key is bad usage, named with the nearest known key, before anything starts. */
class UpCommandTest {

    private static final ConfigKeys BOTH = JobJar.INGEST_JOB.keys.and(JobJar.QUERY_JOB.keys);

    @Test
    void setKeysAreCheckedAgainstTheJobsOptions() {
        assertThat(UpCommand.optionsKnown(BOTH, Map.of("ingest.ocr.threads", "2", "query.n", "4", "parallelism.default", "2")))
                .isTrue();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(UpCommand.optionsKnown(BOTH, Map.of("ingest.ocr.thread", "2"))).isFalse();
            // backfill runs the ingest job only: a query option there is a mistake too
            assertThat(UpCommand.optionsKnown(JobJar.INGEST_JOB.keys, Map.of("query.n", "4"))).isFalse();
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("Unknown option 'ingest.ocr.thread': did you mean ingest.ocr.threads?")
                .contains("Unknown option 'query.n'");
    }

    /** Values either job refuses when built, whatever the exception says it with, are bad usage found before anything starts. */
    @Test
    void valuesEitherJobRefusesAreBadUsage() throws Exception {
        assertThat(UpCommand.valuesAccepted(UpCommand.jobConfiguration(new Connection(), Map.of()))).isTrue();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(UpCommand.valuesAccepted(UpCommand.jobConfiguration(new Connection(), Map.of("query.n", "40")))).isFalse();
            // Flink's IllegalConfigurationException: it used to fall through to exit status 1
            assertThat(UpCommand.valuesAccepted(UpCommand.jobConfiguration(new Connection(),
                    Map.of("ingest.sink.transaction-timeout", "20 min")))).isFalse();
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("rag: query.n must be between 1")
                .contains("ingest.sink.transaction-timeout");
    }
}
