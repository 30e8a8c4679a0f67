package io.streamrag.cli;

import io.streamrag.cli.commands.Connection;
import io.streamrag.cli.commands.UpCommand;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

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

    /**
     * bin/rag up builds both jobs before it starts anything: a value either refuses is found then, not when the query
     * job is submitted with the ingest job already running (each job's main was the first to parse its values).
     */
    @Test
    void valuesEitherJobRefusesAreFoundBeforeAnythingStarts() throws Exception {
        JobLauncher.checkValues(UpCommand.jobConfiguration(new Connection(), Map.of()));
        assertThatThrownBy(() -> JobLauncher.checkValues(UpCommand.jobConfiguration(new Connection(), Map.of("query.n", "40"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query.n");
        assertThatThrownBy(() -> JobLauncher.checkValues(UpCommand.jobConfiguration(new Connection(),
                Map.of("ingest.ocr.timeout", "0 ms")))).hasMessageContaining("ingest.ocr.timeout");
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

    private static com.fasterxml.jackson.databind.JsonNode json(String body) {
        try {
            return io.streamrag.common.json.Json.MAPPER.readTree(body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aRescaleResubmitsBothJobsWithTheOptionsUpGaveThem() throws Exception {
        Path jobIds = state.resolve("jobs");
        Path ingestJar = Files.writeString(state.resolve("streamrag-ingest-job.jar"), "jar");
        Path queryJar = Files.writeString(state.resolve("streamrag-query-job.jar"), "jar");
        java.util.function.Function<JobLauncher.JobJar, Path> jars =
                jar -> jar == JobLauncher.JobJar.INGEST_JOB ? ingestJar : queryJar;
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        try (FakeFlinkRest flink = new FakeFlinkRest()) {
            flink.on("GET", "/jars", "{\"files\":[{\"id\":\"ingest.jar\",\"name\":\"streamrag-ingest-job.jar\",\"uploaded\":"
                    + Long.MAX_VALUE + "},{\"id\":\"query.jar\",\"name\":\"streamrag-query-job.jar\",\"uploaded\":" + Long.MAX_VALUE + "}]}");
            flink.on("POST", "/jars/ingest.jar/run", r -> "{\"jobid\":\"i" + runs.incrementAndGet() + "\"}");
            flink.on("POST", "/jars/query.jar/run", r -> "{\"jobid\":\"q" + runs.incrementAndGet() + "\"}");

            // bin/rag up -b 10.9.9.9:9094 --set query.endpoints=... (no Kafka is reached: only the arguments matter)
            io.streamrag.cli.commands.Connection connection = picocli.CommandLine.populateCommand(
                    new io.streamrag.cli.commands.Connection(), "-b", "10.9.9.9:9094", "--answers-topic", "answers-acme");
            Configuration up = io.streamrag.cli.commands.UpCommand.jobConfiguration(connection,
                    java.util.Map.of("query.endpoints", "remote=openai,http://10.9.9.9:8000/v1,model"));
            JobLauncher.submit(flink.client(), jobIds, ingestJar, JobLauncher.INGEST, up, false, null);
            JobLauncher.submit(flink.client(), jobIds, queryJar, JobLauncher.QUERY, up, false, null);

            flink.on("GET", "/jobs/overview", "{\"jobs\":[{\"jid\":\"i1\",\"name\":\"streamrag-ingest\",\"state\":\"RUNNING\"},"
                    + "{\"jid\":\"q2\",\"name\":\"streamrag-query\",\"state\":\"RUNNING\"}]}");
            for (String id : java.util.List.of("i1", "q2")) {
                flink.on("POST", "/jobs/" + id + "/stop", "{\"request-id\":\"r\"}");
                flink.on("GET", "/jobs/" + id + "/savepoints/r", "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"location\":\""
                        + state.resolve("savepoints/sp-" + id).toUri() + "\"}}");
            }
            for (String id : java.util.List.of("i3", "q4")) {
                flink.on("GET", "/jobs/" + id, "{\"vertices\":[{\"id\":\"v\",\"parallelism\":3,\"tasks\":{\"RUNNING\":3}}]}");
            }
            JobLauncher.rescaleBoth(flink.client(), jobIds, state.resolve("savepoints"), jars, 3, java.time.Duration.ofSeconds(10));

            java.util.List<com.fasterxml.jackson.databind.JsonNode> rescaled = flink.requests.stream()
                    .filter(r -> r.path().endsWith("/run")).skip(2).map(r -> json(r.body()))
                    .collect(java.util.stream.Collectors.toList());
            assertThat(rescaled).hasSize(2);
            java.util.List<String> ingestArgs = new java.util.ArrayList<>();
            rescaled.get(0).path("programArgsList").forEach(a -> ingestArgs.add(a.asText()));
            java.util.List<String> queryArgs = new java.util.ArrayList<>();
            rescaled.get(1).path("programArgsList").forEach(a -> queryArgs.add(a.asText()));
            assertThat(String.join(" ", ingestArgs)).contains("--kafka.bootstrap-servers 10.9.9.9:9094", "--ingest.parallelism 3",
                    "--pipeline.name streamrag-ingest");
            assertThat(String.join(" ", queryArgs)).contains("--kafka.bootstrap-servers 10.9.9.9:9094", "--query.parallelism 3",
                    "--topics.answers answers-acme", "--query.endpoints remote=openai,http://10.9.9.9:8000/v1,model");
            assertThat(rescaled.get(1).path("savepointPath").asText()).contains("sp-q2");
        }
    }
}
