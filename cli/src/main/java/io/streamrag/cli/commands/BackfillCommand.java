package io.streamrag.cli.commands;

import io.streamrag.cli.DurationConverter;
import io.streamrag.cli.Errors;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;
import io.streamrag.cli.Terminal;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.metrics.ExtractMetrics;
import io.streamrag.ingest.metrics.OutcomeMetrics;

import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rag backfill}: runs the ingest job bounded over a folder archive on the local cluster, with a progress
 * bar read from the job's own metrics, and a summary when it finishes.
 */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = {"Ingest a folder archive with a bounded run of the ingest job; show progress (documents, pages, rate, ETA).",
            "The exit status is 5 when the run finished but dead-lettered documents, 1 when the job did not finish."})
public class BackfillCommand implements Callable<Integer> {

    static final String TOTAL = OutcomeMetrics.PROGRESS_TOTAL.name();
    static final String DONE = OutcomeMetrics.PROGRESS_DONE.name();
    static final String INDEXED = OutcomeMetrics.INDEXED.name();
    static final String DEAD = OutcomeMetrics.DEAD_LETTERED.name();
    static final String PAGES = ExtractMetrics.PAGES.name();

    @Mixin
    Connection connection;

    @Parameters(index = "0", paramLabel = "DIR", description = "Folder of documents.")
    Path dir;

    @Option(names = "--tenant", defaultValue = "default", description = "Tenant of the documents (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Extra ingest job option.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print one JSON summary on stdout when the run ends; progress goes to stderr as plain lines.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Cancel the job and exit 1 when it has not finished after this long: 30m, 2h (default: no limit).")
    Duration timeout;

    @Option(names = "--max-restarts", paramLabel = "N", defaultValue = "10",
            description = "Cancel the job and exit 1 once it restarted more than N times, or stayed RESTARTING for "
                    + "5 min (the local cluster restarts a failing job forever; default: ${DEFAULT-VALUE}).")
    int maxRestarts;

    /** How long reads of the job's state or final counts may keep failing (Flink REST) before the backfill gives up on them. */
    static final Duration UNREADABLE_LIMIT = Duration.ofSeconds(30);

    /** {@link #UNREADABLE_LIMIT}; tests shorten it. */
    Duration unreadableLimit = UNREADABLE_LIMIT;

    /** Longest the job may stay RESTARTING in one go before the backfill gives up on it. */
    static final Duration RESTARTING_LIMIT = Duration.ofMinutes(5);

    /** Without a terminal a plain progress line at most this often (a bar rewritten in place needs a terminal). */
    static final Duration PLAIN_PROGRESS_EVERY = Duration.ofSeconds(10);

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            System.err.println("Not a folder: " + dir);
            return ExitCodes.USAGE;
        }
        if (!UpCommand.optionsKnown(JobLauncher.JobJar.INGEST_JOB.keys, options)) {
            return ExitCodes.USAGE;
        }
        FlinkRest rest = FlinkRest.localRunning();
        if (rest == null) {
            return ExitCodes.ERROR;
        }
        PrintStream human = json ? System.err : System.out;
        boolean bar = !json && Terminal.interactive();
        Configuration conf = jobConfiguration();
        String name = JobLauncher.INGEST + "-backfill";
        String id = JobLauncher.submit(name, conf, true);
        human.println("Backfill job " + id + " over " + dir.toAbsolutePath().normalize());
        long start = System.nanoTime();
        Watched run = watch(rest, id, human, bar, start, RESTARTING_LIMIT);
        String state = run.state();
        Map<String, Double> m = run.metrics();
        if (run.gaveUp() != null) {
            return abandon(rest, id, run);
        }
        long expected = Math.round(m.getOrDefault(TOTAL, 0.0));
        Map<String, String> acc;
        try {
            acc = finalCounts(rest, id, expected, human);
        } catch (IOException e) {
            // The job has ended (nothing to cancel), but without its counts neither summary nor exit status can be told.
            String error = "job " + id + " " + state + ", but Flink did not tell its outcome counts for "
                    + StatusCommand.human(unreadableLimit) + " (" + Errors.oneLine(e) + ")";
            System.err.println("rag backfill: " + error);
            return failed(id, state, error);
        }
        String missing = missingOutcomes(acc, expected, connection.outcomesTopic);
        if (missing != null) {
            System.err.println("Warning: " + missing);
        }
        Summary summary = Summary.of(acc, m);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        human.printf("Backfill %s in %s: %s%n", state.toLowerCase(), StatusCommand.human(took), summary);
        long dead = summary.deadLettered;
        if (dead > 0) {
            human.println("Dead letters with reasons are on topic '" + connection.deadLetterTopic + "'.");
        }
        int exit = exitCode(state, dead);
        if (json) {
            Map<String, Object> r = jsonHead(id, state);
            r.put("durationMs", took.toMillis());
            r.put("documents", summary.documents());
            r.put("indexed", summary.indexed);
            r.put("deadLettered", summary.deadLettered);
            r.put("staleOrDeleted", summary.staleOrDeleted);
            r.put("pages", summary.pages);
            r.put("deadLetterTopic", connection.deadLetterTopic);
            r.put("exitCode", exit);
            System.out.println(Json.toString(r));
        }
        return exit;
    }

    /** How the wait for a backfill job ended: its last state and metrics, and why the command gave up (null: the job ended). */
    record Watched(String state, Map<String, Double> metrics, String gaveUp) {}

    /**
     * Shows progress until the job leaves the running states, or gives up: after {@link #timeout}, once the job
     * restarted more than {@link #maxRestarts} times (restores from checkpoints, or RESTARTING seen anew), when it
     * stayed RESTARTING longer than {@code restartingLimit}, or when Flink did not tell its state for
     * {@link #unreadableLimit} (a failed read is retried, not taken for the end of the job). {@link FlinkRest.JobInfo#isRunning()} counts RESTARTING
     * as running, so a job failing for good kept the command waiting forever.
     */
    Watched watch(FlinkRest rest, String id, PrintStream human, boolean bar, long start, Duration restartingLimit) throws Exception {
        long lastPlain = 0;
        Map<String, Double> m = Map.of();
        String state = "UNKNOWN";
        long restartsSeen = 0;
        long restartingSince = 0;
        String gaveUp = null;
        while (true) {
            FlinkRest.JobInfo job;
            try {
                job = read(() -> rest.job(id));
            } catch (IOException e) {
                gaveUp = "Flink did not tell the job's state for " + StatusCommand.human(unreadableLimit) + " ("
                        + Errors.oneLine(e) + ")";
                break; // state: the last one read
            }
            state = job == null ? "UNKNOWN" : job.state();
            try {
                m = rest.sumMetrics(id, List.of(TOTAL, DONE, INDEXED, DEAD, PAGES));
            } catch (Exception e) {
                // metrics vanish when the job finishes; keep the last ones we read
            }
            long now = System.nanoTime();
            double secs = (now - start) / 1e9;
            if (bar) {
                human.print("\r" + progressLine(m, secs));
            } else if (lastPlain == 0 || now - lastPlain >= PLAIN_PROGRESS_EVERY.toNanos()) {
                human.println(progressLine(m, secs).stripTrailing());
                lastPlain = now;
            }
            if (job == null || !job.isRunning()) {
                break;
            }
            if ("RESTARTING".equals(state)) {
                if (restartingSince == 0) {
                    restartingSince = now;
                    restartsSeen++;
                }
            } else {
                restartingSince = 0;
            }
            long restarts = Math.max(restartsSeen, restores(rest, id));
            if (restarts > maxRestarts) {
                gaveUp = "the job restarted " + restarts + " times (more than --max-restarts " + maxRestarts + ")";
            } else if (restartingSince != 0 && now - restartingSince > restartingLimit.toNanos()) {
                gaveUp = "the job stayed RESTARTING for " + StatusCommand.human(restartingLimit);
            } else if (timeout != null && now - start > timeout.toNanos()) {
                gaveUp = "the job did not finish within --timeout " + DurationConverter.format(timeout) + " (state " + state + ")";
            }
            if (gaveUp != null) {
                break;
            }
            Thread.sleep(POLL.toMillis());
        }
        if (bar) {
            human.println();
        }
        return new Watched(state, m, gaveUp);
    }

    /** Cancels a job the backfill gave up on (it would go on restarting or running after the command ended), says why; exit 1. */
    int abandon(FlinkRest rest, String id, Watched run) {
        String cancelled;
        try {
            rest.cancel(id);
            cancelled = "cancelled job " + id;
        } catch (Exception e) {
            cancelled = "could not cancel job " + id + " (" + Errors.oneLine(e) + ")";
        }
        System.err.println("rag backfill: " + run.gaveUp() + "; " + cancelled + " (its exceptions: http://127.0.0.1:"
                + FlinkRest.LOCAL_PORT + "/#/job/running/" + id + "/exceptions)");
        return failed(id, run.state(), run.gaveUp());
    }

    /** The fields every {@code --json} document of a backfill starts with. */
    private Map<String, Object> jsonHead(String id, String state) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("jobId", id);
        r.put("state", state);
        r.put("folder", dir.toAbsolutePath().normalize().toString());
        r.put("tenant", tenant);
        return r;
    }

    /** The {@code --json} document of a backfill that failed (the caller said why on stderr); exit 1. */
    private int failed(String id, String state, String error) {
        if (json) {
            Map<String, Object> r = jsonHead(id, state);
            r.put("error", error);
            r.put("exitCode", ExitCodes.ERROR);
            System.out.println(Json.toString(r));
        }
        return ExitCodes.ERROR;
    }

    /**
     * {@code read}, retried with backoff while Flink REST fails (a 503 from a busy JobManager, a timeout): a failed read
     * means "state unknown", not an end. Throws the last failure once reads failed for {@link #unreadableLimit}.
     */
    private <T> T read(Callable<T> read) throws Exception {
        return Backoff.of(Duration.ofMillis(250), Duration.ofSeconds(5)).withBudget(unreadableLimit)
                .call(read, e -> e instanceof IOException, (retry, delayMs, cause) -> { });
    }

    /**
     * Metrics vanish with the finished job; its accumulators keep the final outcome counts. The REST API serves the
     * job from a cache refreshed every few seconds (web.refresh-interval, 3 s): reads until two reads a refresh
     * apart agree, and at least {@code expected} outcomes are in. Each read is retried as {@link #read} does; throws
     * when the first never succeeds, and keeps the counts read when a later one does not.
     */
    Map<String, String> finalCounts(FlinkRest rest, String id, long expected, PrintStream human) throws Exception {
        Map<String, String> acc = read(() -> rest.accumulators(id));
        for (int i = 0; i < 10; i++) {
            if (i == 1 && outcomes(acc) < expected) {
                human.println("Waiting for the job's final counts: " + outcomes(acc) + " of " + expected + " outcomes so far");
            }
            Thread.sleep(3500);
            Map<String, String> again;
            try {
                again = read(() -> rest.accumulators(id));
            } catch (IOException e) {
                System.err.println("Warning: the job's counts could not be read again (" + Errors.oneLine(e) + "); using those read before");
                break;
            }
            boolean stable = outcomes(again) == outcomes(acc) && outcomes(again) >= expected;
            acc = again;
            if (stable) {
                break;
            }
        }
        return acc;
    }

    /** How often the job's state and metrics are read. */
    static final Duration POLL = Duration.ofSeconds(1);

    private static long restores(FlinkRest rest, String id) {
        try {
            return rest.restores(id);
        } catch (Exception e) {
            return 0; // no checkpoint statistics (yet): the states seen still count
        }
    }

    /** The ingest job's configuration for this backfill: the files source over {@link #dir} for {@link #tenant}. */
    Configuration jobConfiguration() {
        Configuration conf = UpCommand.jobConfiguration(connection, options);
        if (!options.containsKey(IngestOptions.CHECKPOINT_INTERVAL.key())) {
            // A bounded run checkpoints at ingest.bounded.checkpoint-interval (1 s): it ends with a checkpoint (the
            // sinks commit on it), which the continuous job's 5 s made a backfill wait up to 5 s for.
            conf.removeConfig(IngestOptions.CHECKPOINT_INTERVAL);
        }
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        conf.set(IngestOptions.PATH, dir.toAbsolutePath().normalize().toString());
        conf.set(IngestOptions.TENANT, tenant);
        // No transactional-id prefix (unless --set): the job derives one from tenant and folder, apart from the
        // continuous job's, and the same on a rerun, which so aborts what a cancelled run left open (a prefix per run
        // never did, and read_committed readers of the dead letters and outcomes stalled on those transactions).
        return conf;
    }

    /** A job that did not finish is an error; a finished run with dead letters says so; otherwise success. */
    static int exitCode(String state, long deadLettered) {
        return !"FINISHED".equals(state) ? ExitCodes.ERROR : deadLettered > 0 ? ExitCodes.DEAD_LETTERS : ExitCodes.OK;
    }

    /**
     * What the summary leaves out when the job's counts hold fewer outcomes than the documents it was given (e.g. a
     * run restored from a savepoint of a release that did not checkpoint them), or null when nothing is missing.
     */
    static String missingOutcomes(Map<String, String> accumulators, long expected, String outcomesTopic) {
        long counted = outcomes(accumulators);
        if (expected <= 0 || counted >= expected) {
            return null;
        }
        return "only " + counted + " of " + expected + " documents have an outcome in the job's counts; the summary and "
                + "exit status leave out " + (expected - counted) + " (their outcomes are on topic '" + outcomesTopic + "')";
    }

    private static long outcomes(Map<String, String> accumulators) {
        return accumulators.entrySet().stream().filter(e -> e.getKey().startsWith(OutcomeMetrics.ACCUMULATOR_PREFIX))
                .mapToLong(e -> Long.parseLong(e.getValue())).sum();
    }

    /**
     * What a backfill did, from the job's own counts: its accumulators (outcomes, pages read), which outlive the job;
     * the last metrics read while it ran only fill in what a job without those accumulators lacks.
     */
    static final class Summary {
        final long indexed;
        final long deadLettered;
        final long staleOrDeleted;
        final long pages;

        Summary(long indexed, long deadLettered, long staleOrDeleted, long pages) {
            this.indexed = indexed;
            this.deadLettered = deadLettered;
            this.staleOrDeleted = staleOrDeleted;
            this.pages = pages;
        }

        static Summary of(Map<String, String> accumulators, Map<String, Double> lastMetrics) {
            return new Summary(
                    count(accumulators, OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.INDEXED, lastMetrics.getOrDefault(INDEXED, 0.0)),
                    count(accumulators, OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.DEAD_LETTERED, lastMetrics.getOrDefault(DEAD, 0.0)),
                    count(accumulators, OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.STALE, 0)
                            + count(accumulators, OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.DELETED, 0),
                    count(accumulators, ExtractMetrics.PAGES_ACCUMULATOR, lastMetrics.getOrDefault(PAGES, 0.0)));
        }

        long documents() {
            return indexed + deadLettered + staleOrDeleted;
        }

        @Override
        public String toString() {
            return documents() + " documents, " + indexed + " indexed, " + deadLettered + " dead-lettered"
                    + (staleOrDeleted > 0 ? ", " + staleOrDeleted + " stale or deleted" : "") + ", " + pages + " pages read";
        }

        private static long count(Map<String, String> accumulators, String name, double fallback) {
            String v = accumulators.get(name);
            return v == null ? Math.round(fallback) : Long.parseLong(v);
        }
    }

    /** One progress line (a bar, counts, rates, ETA), without the carriage return that only a terminal gets. */
    static String progressLine(Map<String, Double> m, double seconds) {
        double total = m.getOrDefault(TOTAL, 0.0);
        double done = m.getOrDefault(DONE, 0.0);
        double rate = seconds > 0 ? done / seconds : 0;
        int width = 30;
        int filled = total > 0 ? (int) Math.round(width * Math.min(1.0, done / total)) : 0;
        String eta = rate > 0 && total > done ? StatusCommand.human(Duration.ofSeconds((long) ((total - done) / rate))) : "-";
        return String.format("  [%s%s] %.0f/%.0f documents, %.0f pages, %.2f docs/s, %.1f pages/s, ETA %s   ",
                "#".repeat(filled), ".".repeat(width - filled), done, total, m.getOrDefault(PAGES, 0.0), rate,
                seconds > 0 ? m.getOrDefault(PAGES, 0.0) / seconds : 0, eta);
    }
}
