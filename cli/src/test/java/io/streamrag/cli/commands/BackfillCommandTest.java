package io.streamrag.cli.commands;

import io.streamrag.cli.EnvironmentDefaults;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.FakeFlinkRest;
import io.streamrag.cli.Rag;
import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The backfill's job configuration, its wait for the job (when it gives up, a failed Flink read retried), and its
 * summary from the job's accumulators (not from the last metrics read while it ran).
 */
class BackfillCommandTest {

    @Test
    void summaryTakesTheJobsOwnCountsOverTheLastMetricsRead() {
        // The run: metrics last read mid-run said 1 indexed and 404 pages of three 534-page files.
        Map<String, Double> lastMetrics = Map.of(BackfillCommand.INDEXED, 1.0, BackfillCommand.PAGES, 404.0);
        Map<String, String> accumulators = Map.of(
                "outcome.indexed", "2", "outcome.dead-lettered", "1", "outcome.stale", "1", "outcome.deleted", "0",
                "extract.pages", "534");

        BackfillCommand.Summary summary = BackfillCommand.Summary.of(accumulators, lastMetrics);

        assertThat(summary.documents()).isEqualTo(4);
        assertThat(summary.indexed).isEqualTo(2);
        assertThat(summary.deadLettered).isEqualTo(1);
        assertThat(summary.staleOrDeleted).isEqualTo(1);
        assertThat(summary.pages).isEqualTo(534);
        assertThat(summary).hasToString("4 documents, 2 indexed, 1 dead-lettered, 1 stale or deleted, 534 pages read");
    }

    @Test
    void summaryFallsBackToMetricsWhenTheJobHasNoAccumulators() {
        BackfillCommand.Summary summary = BackfillCommand.Summary.of(Map.of(),
                Map.of(BackfillCommand.INDEXED, 3.0, BackfillCommand.DEAD, 0.0, BackfillCommand.PAGES, 12.0));

        assertThat(summary).hasToString("3 documents, 3 indexed, 0 dead-lettered, 12 pages read");
    }

    /**
     * The backfill leaves the sinks' transactional-id prefix to the job, which derives it from the tenant and folder
     * (IngestOptions.transactionalIdPrefix): a rerun over the same folder reuses the ids and so aborts what a cancelled
     * run left open. A prefix of its own per run (streamrag-backfill-<millis>) never did.
     */
    @Test
    void jobConfigurationUsesTheDerivedTransactionalIdPrefix(@TempDir Path tmp) throws Exception {
        Path docs = Files.createDirectories(tmp.resolve("docs"));
        Configuration conf = backfill(docs, "acme").jobConfiguration();

        Configuration run = new Configuration();
        run.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        run.set(IngestOptions.PATH, docs.toAbsolutePath().normalize().toString());
        run.set(IngestOptions.TENANT, "acme");
        assertThat(conf.contains(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX)).isFalse();
        assertThat(IngestOptions.transactionalIdPrefix(conf))
                .isEqualTo(IngestOptions.transactionalIdPrefix(run))
                .startsWith("streamrag-ingest-files-acme-docs-")
                .isEqualTo(IngestOptions.transactionalIdPrefix(backfill(docs, "acme").jobConfiguration()));
    }

    @Test
    void aPrefixGivenWithSetIsKept(@TempDir Path tmp) throws Exception {
        BackfillCommand command = backfill(Files.createDirectories(tmp.resolve("docs")), "acme");
        command.options.put(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX.key(), "blue");
        assertThat(IngestOptions.transactionalIdPrefix(command.jobConfiguration())).isEqualTo("blue");
    }

    /** Fewer outcomes in the job's counts than documents it was given: the summary says so instead of passing as complete. */
    @Test
    void missingOutcomesAreReported() {
        Map<String, String> accumulators = Map.of("outcome.indexed", "3", "outcome.dead-lettered", "0");
        assertThat(BackfillCommand.missingOutcomes(accumulators, 5, "documents.outcomes"))
                .isEqualTo("only 3 of 5 documents have an outcome in the job's counts; the summary and exit status leave out "
                        + "2 (their outcomes are on topic 'documents.outcomes')");
        assertThat(BackfillCommand.missingOutcomes(accumulators, 3, "documents.outcomes")).isNull();
        assertThat(BackfillCommand.missingOutcomes(accumulators, 0, "documents.outcomes")).isNull(); // total never read
    }

    private static BackfillCommand backfill(Path dir, String tenant) {
        BackfillCommand command = new BackfillCommand();
        command.connection = new Connection();
        command.dir = dir;
        command.tenant = tenant;
        return command;
    }

    private static String overview(String state) {
        return "{\"jobs\":[{\"jid\":\"j1\",\"name\":\"streamrag-ingest-backfill\",\"state\":\"" + state
                + "\",\"start-time\":1,\"duration\":1}]}";
    }

    private static FakeFlinkRest flink(String state, AtomicLong restores) throws Exception {
        return new FakeFlinkRest()
                .on("GET", "/jobs/overview", overview(state))
                .on("GET", "/jobs/j1", "{\"vertices\":[]}")
                .on("GET", "/jobs/j1/checkpoints", r -> "{\"counts\":{\"restored\":" + restores.get() + "}}")
                .on("PATCH", "/jobs/j1", "{}");
    }

    private static BackfillCommand.Watched watch(BackfillCommand command, FakeFlinkRest flink, Duration restartingLimit) {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        // The local cluster restarts a failing job forever; before, this wait never ended (RESTARTING counts as running).
        return assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> command.watch(flink.client(), "j1", quiet, false, System.nanoTime(), restartingLimit));
    }

    @Test
    void aJobThatKeepsRestoringIsGivenUpAfterMaxRestartsCancelledAndExits1() throws Exception {
        AtomicLong restores = new AtomicLong();
        try (FakeFlinkRest flink = flink("RUNNING", restores)) {
            // Between polls the job failed over and restored from its checkpoint once more.
            flink.on("GET", "/jobs/j1/checkpoints", r -> "{\"counts\":{\"restored\":" + restores.incrementAndGet() + "}}");
            BackfillCommand command = new BackfillCommand();
            command.dir = Path.of("archive");
            command.maxRestarts = 2;
            BackfillCommand.Watched run = watch(command, flink, Duration.ofMinutes(5));
            assertThat(run.gaveUp()).isEqualTo("the job restarted 3 times (more than --max-restarts 2)");
            assertThat(command.abandon(flink.client(), "j1", run)).isEqualTo(ExitCodes.ERROR);
            assertThat(flink.requests).anyMatch(r -> r.method().equals("PATCH") && r.path().equals("/jobs/j1"));
        }
    }

    @Test
    void aJobStuckRestartingIsGivenUp() throws Exception {
        try (FakeFlinkRest flink = flink("RESTARTING", new AtomicLong())) {
            BackfillCommand command = new BackfillCommand();
            command.maxRestarts = 10;
            BackfillCommand.Watched run = watch(command, flink, Duration.ofSeconds(2));
            assertThat(run.state()).isEqualTo("RESTARTING");
            assertThat(run.gaveUp()).startsWith("the job stayed RESTARTING for");
        }
    }

    @Test
    void aTimeoutEndsTheWaitAndAFinishedJobEndsItWithoutGivingUp() throws Exception {
        try (FakeFlinkRest flink = flink("RUNNING", new AtomicLong())) {
            BackfillCommand command = new BackfillCommand();
            command.maxRestarts = 10;
            command.timeout = Duration.ofSeconds(2);
            BackfillCommand.Watched run = watch(command, flink, Duration.ofMinutes(5));
            assertThat(run.gaveUp()).isEqualTo("the job did not finish within --timeout 2 s (state RUNNING)");

            flink.on("GET", "/jobs/overview", overview("FINISHED"));
            run = watch(command, flink, Duration.ofMinutes(5));
            assertThat(run.gaveUp()).isNull();
            assertThat(run.state()).isEqualTo("FINISHED");
        }
    }

    @Test
    void aFailedReadOfTheJobStateIsRetried() throws Exception {
        try (FakeFlinkRest flink = flink("FINISHED", new AtomicLong())) {
            // Before, one 503 from a busy JobManager ended the command with a stack trace and left the job running.
            flink.failNext("GET", "/jobs/overview", 1);
            BackfillCommand command = new BackfillCommand();
            command.maxRestarts = 10;
            BackfillCommand.Watched run = watch(command, flink, Duration.ofMinutes(5));
            assertThat(run.gaveUp()).isNull();
            assertThat(run.state()).isEqualTo("FINISHED");
            assertThat(flink.requests).filteredOn(r -> r.path().equals("/jobs/overview")).hasSize(2);
        }
    }

    @Test
    void readsThatKeepFailingAreGivenUpWithAReasonAndTheJobIsCancelled() throws Exception {
        try (FakeFlinkRest flink = flink("RUNNING", new AtomicLong())) {
            // Read once as RUNNING, then every read fails.
            flink.on("GET", "/jobs/overview", r -> {
                flink.failNext("GET", "/jobs/overview", Integer.MAX_VALUE);
                return overview("RUNNING");
            });
            BackfillCommand command = new BackfillCommand();
            command.dir = Path.of("archive");
            command.maxRestarts = 10;
            command.unreadableLimit = Duration.ofSeconds(1);
            BackfillCommand.Watched run = watch(command, flink, Duration.ofMinutes(5));
            assertThat(run.state()).isEqualTo("RUNNING");
            assertThat(run.gaveUp()).startsWith("Flink did not tell the job's state for 1s")
                    .contains("/jobs/overview answered 503");
            assertThat(command.abandon(flink.client(), "j1", run)).isEqualTo(ExitCodes.ERROR);
            assertThat(flink.requests).anyMatch(r -> r.method().equals("PATCH") && r.path().equals("/jobs/j1"));
        }
    }

    @Test
    void theFinalCountsAreReadThroughAFailedReadAndCountsThatStayUnreadableAreAnError() throws Exception {
        try (FakeFlinkRest flink = flink("FINISHED", new AtomicLong())) {
            flink.on("GET", "/jobs/j1/accumulators",
                    "{\"user-task-accumulators\":[{\"name\":\"outcome.indexed\",\"type\":\"LongCounter\",\"value\":\"2\"}]}");
            flink.failNext("GET", "/jobs/j1/accumulators", 1);
            BackfillCommand command = new BackfillCommand();
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            // Two reads a cache refresh (3.5 s) apart that agree.
            assertThat(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> command.finalCounts(flink.client(), "j1", 2, quiet)))
                    .containsEntry("outcome.indexed", "2");

            flink.failNext("GET", "/jobs/j1/accumulators", Integer.MAX_VALUE);
            command.unreadableLimit = Duration.ofSeconds(1);
            assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30), () -> command.finalCounts(flink.client(), "j1", 2, quiet)))
                    .isInstanceOf(IOException.class).hasMessageContaining("/jobs/j1/accumulators answered 503");
        }
    }

    private static BackfillCommand parse(String... args) {
        return (BackfillCommand) Rag.commandLine(new EnvironmentDefaults(Map.of())).parseArgs(args).subcommand().commandSpec().userObject();
    }

    @Test
    void timeoutAndMaxRestartsAreOptionsWithoutATimeLimitByDefault() {
        BackfillCommand given = parse("backfill", "--timeout", "90m", "--max-restarts", "3", "dir");
        assertThat(given.timeout).isEqualTo(Duration.ofMinutes(90));
        assertThat(given.maxRestarts).isEqualTo(3);
        BackfillCommand defaults = parse("backfill", "dir");
        assertThat(defaults.timeout).isNull();
        assertThat(defaults.maxRestarts).isEqualTo(10);
    }
}
