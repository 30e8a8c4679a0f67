package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;
import io.streamrag.cli.chaos.ChaosLoad;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the chaos drills ({@code cluster}, {@code outage}, {@code rescale}) do around their fault: both jobs running,
 * the fault once a share of the load is sent and every job checkpointed since, then every outcome counted.
 */
final class ChaosDrill {

    private final FlinkRest rest;
    private final Map<String, String> jobs;
    /** Each job's restores from a checkpoint before the fault; null when the fault replaces the jobs (rescale). */
    private final Map<String, Long> restartsBefore;
    private final Map<String, Long> checkpointsBefore;

    private ChaosDrill(FlinkRest rest, Map<String, String> jobs, boolean countRestarts) throws Exception {
        this.rest = rest;
        this.jobs = jobs;
        this.restartsBefore = countRestarts ? restarts() : null;
        this.checkpointsBefore = checkpoints();
    }

    /**
     * A drill on both jobs as they run now on the local cluster, or null (with a message) when the cluster or a job
     * is not running. {@code countRestarts}: report how often each job restored from a checkpoint since now.
     */
    static ChaosDrill onRunningJobs(boolean countRestarts) throws Exception {
        FlinkRest rest = FlinkRest.localRunning();
        if (rest == null) {
            return null;
        }
        Map<String, String> jobs = new LinkedHashMap<>();
        for (String name : List.of(JobLauncher.INGEST, JobLauncher.QUERY)) {
            FlinkRest.JobInfo job = rest.running(name);
            if (job == null) {
                System.err.println("Job " + name + " is not running: bin/rag up");
                return null;
            }
            jobs.put(name, job.id());
        }
        return new ChaosDrill(rest, jobs, countRestarts);
    }

    FlinkRest rest() {
        return rest;
    }

    /**
     * Streams until {@code sent} records are out and every job completed a checkpoint since the drill began (so the
     * fault leaves state to restore); the counts at that point. Fails when the drill's sender failed, or when that
     * point is not reached within {@code timeout} (a job stuck restarting, a topic that does not exist), naming what
     * is missing, instead of waiting for good before any fault.
     */
    ChaosLoad.Counts awaitFaultPoint(ChaosLoad load, int sent, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (load.sent() < sent || !checkpointedSince()) {
            load.checkSending(sent);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("No fault injected: within " + timeout + " the drill sent " + load.sent() + " of the "
                        + sent + " records due before the fault and the jobs' latest checkpoints were " + checkpoints()
                        + " (before the drill: " + checkpointsBefore + ")");
            }
            load.pollAnswers(Duration.ofMillis(500));
        }
        return load.counts();
    }

    /** Time from now until every job restored from a checkpoint and is RUNNING with all its tasks again, or null. */
    Duration awaitRecovered(ChaosLoad load, Duration timeout) throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (var e : jobs.entrySet()) {
                FlinkRest.JobInfo job = rest.job(e.getValue());
                all &= job != null && "RUNNING".equals(job.state()) && rest.restores(e.getValue()) > restartsBefore.get(e.getKey())
                        && rest.allTasksRunning(e.getValue());
            }
            if (all) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            load.pollAnswers(Duration.ofMillis(250));
        }
        return null;
    }

    /**
     * After the fault at {@code faultAt} ({@link System#nanoTime()}): waits until the whole load is sent and its
     * outcomes are out (at most {@code timeout}), reads two more checkpoint intervals for late duplicates (they would
     * come with the next checkpoints' commits) and prints the table; the final counts.
     */
    ChaosLoad.Counts finish(ChaosLoad load, Duration timeout, long faultAt) throws Exception {
        load.awaitSent();
        ChaosLoad.Counts waited = load.awaitAll(timeout);
        boolean allOut = waited.documentsIndexed() >= waited.documentsExpected() && waited.questionsAnswered() >= waited.questionsExpected();
        double secondsToAllOut = (System.nanoTime() - faultAt) / 1e9;
        load.pollAnswers(Duration.ofSeconds(12));
        ChaosLoad.Counts c = load.counts();
        System.out.println();
        System.out.printf("%-22s %8s %8s %6s %10s%n", "", "expected", "out", "lost", "duplicates");
        System.out.printf("%-22s %8d %8d %6d %10s%n", "documents indexed", c.documentsExpected(), c.documentsIndexed(),
                c.documentsLost(), "-");
        System.out.printf("%-22s %8d %8d %6d %10d%n", "chunks (1 per doc)", c.documentsExpected(), c.chunksIndexed(),
                Math.max(0, c.documentsExpected() - c.chunksIndexed()), c.chunkDuplicates());
        System.out.printf("%-22s %8d %8d %6d %10d%n", "answers (committed)", c.questionsExpected(), c.answersTotal(),
                c.answersLost(), c.answerDuplicates());
        if (restartsBefore != null) {
            restarts().forEach((name, after) -> System.out.printf("restores of %s from a checkpoint: %d%n", name,
                    after - restartsBefore.getOrDefault(name, 0L)));
        }
        if (allOut) {
            System.out.printf("all outcomes out %.1f s after the fault%n", secondsToAllOut);
        } else {
            System.out.printf("not all outcomes out within %s (%.1f s after the fault)%n", timeout, secondsToAllOut);
        }
        System.out.println(c.exact() ? "EXACT: 0 lost, 0 duplicates" : "NOT EXACT");
        return c;
    }

    private Map<String, Long> restarts() throws Exception {
        return perJob(rest::restores);
    }

    private Map<String, Long> checkpoints() throws Exception {
        return perJob(rest::latestCheckpointId);
    }

    /** A figure the REST API gives per job id. */
    private interface JobFigure {
        long of(String jobId) throws Exception;
    }

    /** The figure of each job, by job name. */
    private Map<String, Long> perJob(JobFigure figure) throws Exception {
        Map<String, Long> r = new LinkedHashMap<>();
        for (var e : jobs.entrySet()) {
            r.put(e.getKey(), figure.of(e.getValue()));
        }
        return r;
    }

    private boolean checkpointedSince() throws Exception {
        for (var e : checkpoints().entrySet()) {
            if (e.getValue() <= checkpointsBefore.get(e.getKey())) {
                return false;
            }
        }
        return true;
    }
}
