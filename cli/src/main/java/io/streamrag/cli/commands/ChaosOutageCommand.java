package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.chaos.ChaosLoad;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rag chaos outage}: stops the local Kafka broker or OpenSearch node mid-stream for a while and starts it
 * again, then counts lost and duplicated outcomes and how often the jobs restarted (an OpenSearch outage within the
 * retry budget should cost no restart at all; a broker outage may restart the jobs but must lose nothing).
 */
@Command(name = "outage", mixinStandardHelpOptions = true,
        description = "Stop the local kafka or opensearch service mid-stream for --down-for, start it again, and count "
                + "documents/chunks indexed and answers (read_committed): lost and duplicates must be 0; job restarts are reported.")
public class ChaosOutageCommand implements Callable<Integer> {

    /** The services a drill may stop: the local run's own broker and node. */
    enum Target { kafka, opensearch }

    @Mixin
    Connection connection;

    @Option(names = "--service", defaultValue = "opensearch", description = "Service to stop: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Target service;

    @Option(names = "--down-for", defaultValue = "60s", description = "How long the service stays stopped (default: ${DEFAULT-VALUE}).")
    Duration downFor;

    @Mixin
    LoadOptions loadOptions;

    @Option(names = "--timeout", defaultValue = "10m", description = "Longest wait for all outcomes after the restart (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        FlinkRest rest = FlinkRest.local();
        Map<String, String> jobs = ChaosClusterCommand.runningJobs(rest);
        if (jobs == null) {
            return 1;
        }
        Map<String, Long> restartsBefore = ChaosClusterCommand.restarts(rest, jobs);
        Map<String, Long> checkpointsBefore = ChaosClusterCommand.checkpoints(rest, jobs);
        boolean stopped = false;
        try (ChaosLoad load = loadOptions.open(connection)) {
            loadOptions.start(load);
            int third = loadOptions.records() / 3;
            while (load.sent() < third || !ChaosClusterCommand.checkpointedSince(rest, jobs, checkpointsBefore)) {
                load.pollAnswers(Duration.ofMillis(500));
            }
            ChaosLoad.Counts atStop = load.counts();
            Services.require("stop", service.name());
            stopped = true;
            long stoppedAt = System.nanoTime();
            System.out.printf("Stopped %s after %d records sent; %d documents indexed and %d answers so far%n",
                    service, load.sent(), atStop.documentsIndexed(), atStop.questionsAnswered());
            // The outage lasts downFor whatever the poll does; an OpenSearch outage makes counts() fail meanwhile.
            while (System.nanoTime() - stoppedAt < downFor.toNanos()) {
                if (service == Target.opensearch) {
                    load.pollAnswers(Duration.ofMillis(500));
                } else {
                    Thread.sleep(500);
                }
            }
            Services.require("start", service.name());
            stopped = false;
            System.out.printf("Started %s again after %.1f s%n", service, (System.nanoTime() - stoppedAt) / 1e9);
            load.awaitSent();
            ChaosLoad.Counts counts = load.awaitAll(timeout);
            long allOut = System.nanoTime();
            load.pollAnswers(Duration.ofSeconds(12)); // late duplicates would come with the next checkpoints' commits
            counts = load.counts();
            System.out.println();
            ChaosClusterCommand.report(counts, (allOut - stoppedAt) / 1e9, restartsBefore, ChaosClusterCommand.restarts(rest, jobs));
            return counts.exact() ? 0 : 1;
        } finally {
            if (stopped) {
                Services.run("start", service.name());
            }
        }
    }
}
