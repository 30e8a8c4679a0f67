package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.Home;
import io.streamrag.cli.chaos.ChaosLoad;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code rag chaos cluster}: kills one TaskManager process with SIGKILL while documents and questions stream through
 * both jobs, lets Flink restart the tasks from the last checkpoint on its own, and counts lost and duplicated outcomes.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "kill -9 one TaskManager mid-stream; Flink restarts the jobs from their last checkpoint by itself. "
                + "Counts documents/chunks indexed and answers (read_committed): lost and duplicates must be 0.")
public class ChaosClusterCommand extends ChaosDrillCommand {

    @Option(names = "--taskmanager", defaultValue = "0",
            description = "TaskManager to kill: 1, 2, or 0 for the one running the most tasks (default: ${DEFAULT-VALUE}).")
    int taskManager;

    @Option(names = "--timeout", defaultValue = "5m", description = "Longest wait for all outcomes, and, beyond --send-over, for the point where the fault is injected (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    int run(ChaosDrill drill) throws Exception {
        if (taskManager == 0) {
            taskManager = busiestTaskManager(drill.rest());
        }
        long pid = taskManagerPid(taskManager);
        if (pid <= 0) {
            System.err.println("TaskManager " + taskManager + " is not running (bin/rag status)");
            return 1;
        }
        try (ChaosLoad load = loadOptions.start(connection)) {
            ChaosLoad.Counts atKill = drill.awaitFaultPoint(load, loadOptions.records() / 3, timeout.plus(loadOptions.sendOver));
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
            long killedAt = System.nanoTime();
            System.out.printf("Killed TaskManager %d (pid %d) after %d records sent; %d documents indexed and %d answers so far%n",
                    taskManager, pid, load.sent(), atKill.documentsIndexed(), atKill.questionsAnswered());
            Duration recovery = drill.awaitRecovered(load, timeout);
            System.out.println(recovery == null
                    ? "Jobs did not come back to RUNNING after a restart within " + timeout
                    : "Both jobs restarted and RUNNING again " + String.format("%.1f s", recovery.toMillis() / 1000.0) + " after the kill");
            return drill.finish(load, timeout, killedAt).exact() && recovery != null ? 0 : 1;
        } finally {
            System.out.println("Restarting TaskManager " + taskManager + " ...");
            Services.run("start", "flink");
        }
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
