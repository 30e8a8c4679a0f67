package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.KafkaTools;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;

import org.opensearch.client.opensearch.OpenSearchClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code rag status}: services, jobs with state and uptime, and what the system has done. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show services, jobs (state, uptime) and counts: documents indexed, dead letters, questions answered.")
public class StatusCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Override
    public Integer call() throws Exception {
        System.out.println("Services");
        int rc = Services.run("status", "all");
        System.out.println();
        System.out.println("Jobs");
        FlinkRest rest = FlinkRest.local();
        if (rest.isUp()) {
            for (FlinkRest.JobInfo job : rest.jobs()) {
                System.out.printf("  %-28s %-10s %s  up %s%n", job.name, job.state, job.id, human(Duration.ofMillis(job.duration)));
            }
        } else {
            System.out.println("  Flink cluster not running");
        }
        System.out.println();
        System.out.println("Counts");
        try {
            OpenSearchClient client = OpenSearchClients.create(connection.configuration());
            try {
                if (client.indices().exists(e -> e.index(connection.index)).value()) {
                    var response = client.search(s -> s.index(connection.index).size(0).trackTotalHits(t -> t.enabled(true))
                            .aggregations("documents", a -> a.cardinality(c -> c.field(ChunkIndex.DOCUMENT_ID))), Void.class);
                    long docs = response.aggregations().get("documents").cardinality().value();
                    System.out.printf("  documents indexed   %d (%d chunks)%n", docs, response.hits().total().value());
                } else {
                    System.out.println("  documents indexed   0 (no index yet)");
                }
            } finally {
                OpenSearchClients.close(client);
            }
        } catch (Exception e) {
            System.out.println("  documents indexed   ? (OpenSearch: " + e.getMessage() + ")");
        }
        try {
            System.out.printf("  dead letters        %d%n", KafkaTools.countCommitted(connection.kafka(), connection.deadLetterTopic));
            System.out.printf("  questions answered  %d%n", KafkaTools.countCommitted(connection.kafka(), connection.answersTopic));
        } catch (Exception e) {
            System.out.println("  dead letters / answers: ? (Kafka: " + e.getMessage() + ")");
        }
        return rc == 1 ? 1 : 0;
    }

    static String human(Duration d) {
        long s = d.getSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
