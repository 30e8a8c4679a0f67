package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;
import io.streamrag.cli.chaos.ChaosLoad;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * {@code rag chaos rescale}: moves both jobs to parallelism {@code --from}, streams a known load, and halfway through
 * stops them with a savepoint and restores them at {@code --to}; counts lost and duplicated outcomes.
 */
@Command(name = "rescale", mixinStandardHelpOptions = true,
        description = "Rescale both jobs mid-stream through stop-with-savepoint and restore (default 1 -> 2); "
                + "counts documents/chunks indexed and answers (read_committed): lost and duplicates must be 0.")
public class ChaosRescaleCommand extends ChaosDrillCommand {

    @Option(names = "--from", defaultValue = "1", description = "Parallelism before (default: ${DEFAULT-VALUE}).")
    int from;

    @Option(names = "--to", defaultValue = "2", description = "Parallelism after (default: ${DEFAULT-VALUE}).")
    int to;

    @Option(names = "--timeout", defaultValue = "5m", description = "Longest wait for all outcomes, and, beyond --send-over, for the point where the fault is injected (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    int run(ChaosDrill atStart) throws Exception {
        FlinkRest rest = atStart.rest();
        Duration rescaleFrom = JobLauncher.rescaleBoth(rest, from, Duration.ofMinutes(2));
        System.out.printf("Both jobs at parallelism %d (%.1f s)%n", from, rescaleFrom.toMillis() / 1000.0);
        try (ChaosLoad load = loadOptions.start(connection)) {
            // The jobs as restored at --from; the rescale to --to replaces them, so restores are not counted.
            ChaosDrill drill = ChaosDrill.onRunningJobs(false);
            if (drill == null) {
                return 1;
            }
            ChaosLoad.Counts before = drill.awaitFaultPoint(load, loadOptions.records() / 2, timeout.plus(loadOptions.sendOver));
            long t0 = System.nanoTime();
            Duration took = JobLauncher.rescaleBoth(rest, to, Duration.ofMinutes(2));
            System.out.printf("Rescaled %d -> %d after %d records sent (%d documents indexed, %d answers so far): "
                    + "stop-with-savepoint + restore in %.1f s%n", from, to, load.sent(), before.documentsIndexed(),
                    before.questionsAnswered(), took.toMillis() / 1000.0);
            return drill.finish(load, timeout, t0).exact() ? 0 : 1;
        }
    }
}
