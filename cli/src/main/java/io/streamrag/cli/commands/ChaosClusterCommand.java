package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.Home;
import io.streamrag.cli.JobLauncher;
import io.streamrag.cli.chaos.ChaosLoad;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rag chaos cluster}: kills one TaskManager process with SIGKILL while documents and questions stream through
 * both jobs, lets Flink restart the tasks from the last checkpoint on its own, and counts lost and duplicated outcomes.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "kill -9 one TaskManager mid-stream; Flink restarts the jobs from their last checkpoint by itself. "
                + "Counts documents/chunks indexed and answers (read_committed): lost and duplicates must be 0.")
public class ChaosClusterCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Mixin
    LoadOptions loadOptions;

    @Option(names = "--taskmanager", defaultValue = "0",
            description = "TaskManager to kill: 1, 2, or 0 for the one running the most tasks (default: ${DEFAULT-VALUE}).")
    int taskManager;

    @Option(names = "--timeout", defaultValue = "5m", description = "Longest wait for all outcomes (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        FlinkRest rest = FlinkRest.local();
        Map<String, String> jobs = runningJobs(rest);
        if (jobs == null) {
            return 1;
        }
        if (taskManager == 0) {
            taskManager = busiestTaskManager(rest);
        }
        long pid = taskManagerPid(taskManager);
        if (pid <= 0) {
            System.err.println("TaskManager " + taskManager + " is not running (bin/rag status)");
            return 1;
        }
        Map<String, Long> restartsBefore = restarts(rest, jobs);
        Map<String, Long> checkpointsBefore = checkpoints(rest, jobs);
        try (ChaosLoad load = loadOptions.open(connection)) {
            loadOptions.start(load);
            // Mid-stream, and after each job completed a checkpoint since the start: there is state to restore.
            int third = loadOptions.records() / 3;
            while (load.sent() < third || !checkpointedSince(rest, jobs, checkpointsBefore)) {
                load.pollAnswers(Duration.ofMillis(500));
            }
            ChaosLoad.Counts atKill = load.counts();
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
            long killedAt = System.nanoTime();
            System.out.printf("Killed TaskManager %d (pid %d) after %d records sent; %d documents indexed and %d answers so far%n",
                    taskManager, pid, load.sent(), atKill.documentsIndexed(), atKill.questionsAnswered());
            Duration recovery = awaitRecovered(rest, jobs, restartsBefore, load, timeout);
            System.out.println(recovery == null
                    ? "Jobs did not come back to RUNNING after a restart within " + timeout
                    : "Both jobs restarted and RUNNING again " + String.format("%.1f s", recovery.toMillis() / 1000.0) + " after the kill");
            load.awaitSent();
            ChaosLoad.Counts counts = load.awaitAll(timeout);
            long allOut = System.nanoTime();
            // Late duplicates would come with the next checkpoints' commits: read two more intervals.
            load.pollAnswers(Duration.ofSeconds(12));
            counts = load.counts();
            Map<String, Long> restartsAfter = restarts(rest, jobs);
            System.out.println();
            report(counts, (allOut - killedAt) / 1e9, restartsBefore, restartsAfter);
            return counts.exact() && recovery != null ? 0 : 1;
        } finally {
            System.out.println("Restarting TaskManager " + taskManager + " ...");
            Services.run("start", "flink");
        }
    }

    static void report(ChaosLoad.Counts c, double secondsToAllOut, Map<String, Long> restartsBefore, Map<String, Long> restartsAfter) {
        System.out.printf("%-22s %8s %8s %6s %10s%n", "", "expected", "out", "lost", "duplicates");
        System.out.printf("%-22s %8d %8d %6d %10s%n", "documents indexed", c.documentsExpected(), c.documentsIndexed(),
                c.documentsLost(), "-");
        System.out.printf("%-22s %8d %8d %6d %10d%n", "chunks (1 per doc)", c.documentsExpected(), c.chunksIndexed(),
                Math.max(0, c.documentsExpected() - c.chunksIndexed()), c.chunkDuplicates());
        System.out.printf("%-22s %8d %8d %6d %10d%n", "answers (committed)", c.questionsExpected(), c.answersTotal(),
                c.answersLost(), c.answerDuplicates());
        restartsAfter.forEach((name, after) -> System.out.printf("restores of %s from a checkpoint: %d%n", name,
                after - restartsBefore.getOrDefault(name, 0L)));
        if (secondsToAllOut >= 0) {
            System.out.printf("all outcomes out %.1f s after the fault%n", secondsToAllOut);
        }
        System.out.println(c.exact() ? "EXACT: 0 lost, 0 duplicates" : "NOT EXACT");
    }

    /** Name → id of both running jobs, or null (with a message) if the cluster or a job is not running. */
    static Map<String, String> runningJobs(FlinkRest rest) throws Exception {
        if (!rest.isUp()) {
            System.err.println("The local Flink cluster is not running: bin/rag up");
            return null;
        }
        Map<String, String> jobs = new java.util.LinkedHashMap<>();
        for (String name : List.of(JobLauncher.INGEST, JobLauncher.QUERY)) {
            FlinkRest.JobInfo job = rest.running(name);
            if (job == null) {
                System.err.println("Job " + name + " is not running: bin/rag up");
                return null;
            }
            jobs.put(name, job.id);
        }
        return jobs;
    }

    static Map<String, Long> restarts(FlinkRest rest, Map<String, String> jobs) throws Exception {
        Map<String, Long> r = new java.util.LinkedHashMap<>();
        for (var e : jobs.entrySet()) {
            r.put(e.getKey(), rest.restores(e.getValue()));
        }
        return r;
    }

    static Map<String, Long> checkpoints(FlinkRest rest, Map<String, String> jobs) throws Exception {
        Map<String, Long> r = new java.util.LinkedHashMap<>();
        for (var e : jobs.entrySet()) {
            r.put(e.getKey(), rest.latestCheckpointId(e.getValue()));
        }
        return r;
    }

    static boolean checkpointedSince(FlinkRest rest, Map<String, String> jobs, Map<String, Long> before) throws Exception {
        for (var e : checkpoints(rest, jobs).entrySet()) {
            if (e.getValue() <= before.get(e.getKey())) {
                return false;
            }
        }
        return true;
    }

    /** Time from the kill until every job restored from a checkpoint and is RUNNING with all its tasks again. */
    static Duration awaitRecovered(FlinkRest rest, Map<String, String> jobs, Map<String, Long> restartsBefore, ChaosLoad load,
                                   Duration timeout) throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (var e : jobs.entrySet()) {
                FlinkRest.JobInfo job = rest.job(e.getValue());
                all &= job != null && "RUNNING".equals(job.state) && rest.restores(e.getValue()) > restartsBefore.get(e.getKey())
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
     * The local TaskManager (1, 2, ...) with the fewest free slots: the JobManager knows each TaskManager by its RPC
     * address, the pidfiles know the processes; {@code ss} says which process listens on that port.
     */
    static int busiestTaskManager(FlinkRest rest) throws Exception {
        String busiestPort = null;
        int fewestFree = Integer.MAX_VALUE;
        for (var tm : rest.taskManagers()) {
            int free = tm.path("freeSlots").asInt();
            if (free < fewestFree) {
                fewestFree = free;
                String path = tm.path("path").asText();
                busiestPort = path.replaceAll(".*@[^:/]+:(\\d+)/.*", "$1");
            }
        }
        for (int n = 1; n <= 8; n++) {
            long pid = taskManagerPid(n);
            if (pid > 0 && busiestPort != null && listensOn(pid, busiestPort)) {
                return n;
            }
        }
        return 1;
    }

    private static boolean listensOn(long pid, String port) throws Exception {
        Process ss = new ProcessBuilder("ss", "-ltnpH", "sport = :" + port).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        ss.waitFor();
        return out.contains("pid=" + pid + ",");
    }

    /** PID of TaskManager {@code n} from its pidfile, or -1. */
    static long taskManagerPid(int n) throws Exception {
        Path pidFile = Home.state().resolve("pids/flink-tm-" + n + ".pid");
        if (!Files.exists(pidFile)) {
            return -1;
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        return ProcessHandle.of(pid).filter(p -> p.info().commandLine().orElse("").contains("TaskManagerRunner")).isPresent() ? pid : -1;
    }
}
