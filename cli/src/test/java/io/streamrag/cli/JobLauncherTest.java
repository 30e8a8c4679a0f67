package io.streamrag.cli;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where a job resumes (savepoint of `down` vs. latest retained checkpoint) and how options become program arguments. */
class JobLauncherTest {

    @TempDir
    Path state;

    private Path metadata(Path dir, Instant written) throws Exception {
        Files.createDirectories(dir);
        Path m = Files.writeString(dir.resolve("_metadata"), "x");
        Files.setLastModifiedTime(m, FileTime.from(written));
        return dir;
    }

    @Test
    void resumesFromTheNewestCompleteCheckpointWithoutSavepoint() throws Exception {
        Path jobs = Files.createDirectories(state.resolve("jobs"));
        Path checkpoints = state.resolve("checkpoints");
        Files.writeString(jobs.resolve("streamrag-ingest.id"), "abc\n");
        metadata(checkpoints.resolve("abc/chk-3"), Instant.parse("2026-01-01T00:00:00Z"));
        Path newest = metadata(checkpoints.resolve("abc/chk-12"), Instant.parse("2026-01-01T00:01:00Z"));
        Files.createDirectories(checkpoints.resolve("abc/chk-13")); // in progress: no _metadata yet

        assertThat(JobLauncher.restorePoint(jobs, checkpoints, "streamrag-ingest")).contains(newest);
        assertThat(JobLauncher.restorePoint(jobs, checkpoints, "streamrag-query")).isEmpty();
    }

    @Test
    void prefersTheSavepointOfDownUntilTheJobCheckpointsAfterIt() throws Exception {
        Path jobs = Files.createDirectories(state.resolve("jobs"));
        Path checkpoints = state.resolve("checkpoints");
        Files.writeString(jobs.resolve("streamrag-query.id"), "old");
        metadata(checkpoints.resolve("old/chk-5"), Instant.parse("2026-01-01T00:00:00Z"));
        Path savepoint = metadata(state.resolve("savepoints/savepoint-old-1"), Instant.parse("2026-01-01T00:02:00Z"));
        Files.writeString(jobs.resolve("streamrag-query.savepoint"), savepoint.toUri().toString());

        assertThat(JobLauncher.restorePoint(jobs, checkpoints, "streamrag-query")).contains(savepoint);

        // The job restored from it ran on and checkpointed, then crashed: its checkpoint is newer.
        Files.writeString(jobs.resolve("streamrag-query.id"), "new");
        Path later = metadata(checkpoints.resolve("new/chk-2"), Instant.parse("2026-01-01T00:05:00Z"));
        assertThat(JobLauncher.restorePoint(jobs, checkpoints, "streamrag-query")).contains(later);
    }

    @Test
    void aSavepointWhoseFolderIsGoneIsIgnored() throws Exception {
        Path jobs = Files.createDirectories(state.resolve("jobs"));
        Files.writeString(jobs.resolve("streamrag-ingest.savepoint"), state.resolve("savepoints/gone").toUri().toString());
        assertThat(JobLauncher.restorePoint(jobs, state.resolve("checkpoints"), "streamrag-ingest")).isEmpty();
    }

    @Test
    void optionsBecomeSortedKeyValueArguments() {
        Configuration conf = new Configuration();
        conf.setString("query.parallelism", "2");
        conf.setString("kafka.bootstrap-servers", "127.0.0.1:9092");
        assertThat(JobLauncher.programArgs(conf))
                .containsExactly("--kafka.bootstrap-servers", "127.0.0.1:9092", "--query.parallelism", "2");
    }

    @Test
    void eachJobGetsTheOptionsItKnowsAndAMisspelledOneFailsBeforeSubmitting() {
        Configuration conf = new Configuration();
        conf.setString("kafka.bootstrap-servers", "127.0.0.1:9092");
        conf.setString("ingest.parallelism", "2");
        conf.setString("query.parallelism", "2");
        conf.setString("pipeline.max-parallelism", "64");

        assertThat(JobLauncher.jobArguments(JobLauncher.JobJar.INGEST_JOB, conf).toMap()).containsOnlyKeys(
                "kafka.bootstrap-servers", "ingest.parallelism", "pipeline.max-parallelism");
        assertThat(JobLauncher.jobArguments(JobLauncher.JobJar.QUERY_JOB, conf).toMap()).containsOnlyKeys(
                "kafka.bootstrap-servers", "query.parallelism", "pipeline.max-parallelism");

        conf.setString("query.paralelism", "3");
        assertThatThrownBy(() -> JobLauncher.checkOptions(conf))
                .hasMessageContaining("Unknown option 'query.paralelism': did you mean query.parallelism?");
    }
}
