package io.streamrag.cli.commands;

import io.streamrag.cli.chaos.ChaosLoad;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * {@code rag chaos outage}: stops the local Kafka broker or OpenSearch node mid-stream for a while and starts it
 * again, then counts lost and duplicated outcomes and how often the jobs restarted (an OpenSearch outage within the
 * retry budget should cost no restart at all; a broker outage may restart the jobs but must lose nothing).
 */
@Command(name = "outage", mixinStandardHelpOptions = true,
        description = "Stop the local kafka or opensearch service mid-stream for --down-for, start it again, and count "
                + "documents/chunks indexed and answers (read_committed): lost and duplicates must be 0; job restarts are reported.")
public class ChaosOutageCommand extends ChaosDrillCommand {

    /** The services a drill may stop: the local run's own broker and node. */
    enum Target { kafka, opensearch }

    @Option(names = "--service", defaultValue = "opensearch", description = "Service to stop: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Target service;

    @Option(names = "--down-for", defaultValue = "60s", description = "How long the service stays stopped (default: ${DEFAULT-VALUE}).")
    Duration downFor;

    @Option(names = "--timeout", defaultValue = "10m", description = "Longest wait for all outcomes after the restart, and, beyond --send-over, for the point where the fault is injected (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    int run(ChaosDrill drill) throws Exception {
        boolean stopped = false;
        try (ChaosLoad load = loadOptions.start(connection)) {
            ChaosLoad.Counts atStop = drill.awaitFaultPoint(load, loadOptions.records() / 3, timeout.plus(loadOptions.sendOver));
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
            return drill.finish(load, timeout, stoppedAt).exact() ? 0 : 1;
        } finally {
            if (stopped) {
                Services.run("start", service.name());
            }
        }
    }
}
