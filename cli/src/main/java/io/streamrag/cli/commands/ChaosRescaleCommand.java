package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;
import io.streamrag.cli.chaos.ChaosLoad;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rag chaos rescale}: moves both jobs to parallelism {@code --from}, streams a known load, and halfway through
 * stops them with a savepoint and restores them at {@code --to}; counts lost and duplicated outcomes.
 */
@Command(name = "rescale", mixinStandardHelpOptions = true,
        description = "Rescale both jobs mid-stream through stop-with-savepoint and restore (default 1 -> 2); "
                + "counts documents/chunks indexed and answers (read_committed): lost and duplicates must be 0.")
public class ChaosRescaleCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Mixin
    LoadOptions loadOptions;

    @Option(names = "--from", defaultValue = "1", description = "Parallelism before (default: ${DEFAULT-VALUE}).")
    int from;

    @Option(names = "--to", defaultValue = "2", description = "Parallelism after (default: ${DEFAULT-VALUE}).")
    int to;

    @Option(names = "--timeout", defaultValue = "5m", description = "Longest wait for all outcomes (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        FlinkRest rest = FlinkRest.local();
        if (ChaosClusterCommand.runningJobs(rest) == null) {
            return 1;
        }
        Duration rescaleFrom = JobLauncher.rescaleBoth(rest, from, Duration.ofMinutes(2));
        System.out.printf("Both jobs at parallelism %d (%.1f s)%n", from, rescaleFrom.toMillis() / 1000.0);
        try (ChaosLoad load = loadOptions.open(connection)) {
            loadOptions.start(load);
            Map<String, String> jobs = ChaosClusterCommand.runningJobs(rest);
            Map<String, Long> checkpointsBefore = ChaosClusterCommand.checkpoints(rest, jobs);
            int half = loadOptions.records() / 2;
            while (load.sent() < half || !ChaosClusterCommand.checkpointedSince(rest, jobs, checkpointsBefore)) {
                load.pollAnswers(Duration.ofMillis(500));
            }
            ChaosLoad.Counts before = load.counts();
            long t0 = System.nanoTime();
            Duration took = JobLauncher.rescaleBoth(rest, to, Duration.ofMinutes(2));
            System.out.printf("Rescaled %d -> %d after %d records sent (%d documents indexed, %d answers so far): "
                    + "stop-with-savepoint + restore in %.1f s%n", from, to, load.sent(), before.documentsIndexed(),
                    before.questionsAnswered(), took.toMillis() / 1000.0);
            load.awaitSent();
            ChaosLoad.Counts counts = load.awaitAll(timeout);
            double seconds = (System.nanoTime() - t0) / 1e9;
            load.pollAnswers(Duration.ofSeconds(12));
            counts = load.counts();
            System.out.println();
            ChaosClusterCommand.report(counts, seconds, Map.of(), Map.of());
            return counts.exact() ? 0 : 1;
        }
    }
}
