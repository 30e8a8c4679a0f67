package io.streamrag.cli.commands;

import io.streamrag.cli.KafkaTools;
import io.streamrag.common.json.Json;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.DeadLetter;
import io.streamrag.common.records.DocumentEvent;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.query_dsl.Query;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Watches what became of document events: indexed (chunks of that version are searchable) or dead-lettered
 * (a record on the dead-letter topic). Started before the events are sent so no dead letter is missed.
 */
final class OutcomeWatcher implements AutoCloseable {

    private final Connection connection;
    private final KafkaConsumer<String, String> deadLetters;
    private final OpenSearchClient client;

    private OutcomeWatcher(Connection connection) {
        this.connection = connection;
        this.deadLetters = KafkaTools.committedConsumer(connection.kafka(), connection.deadLetterTopic, true);
        this.client = OpenSearchClients.create(connection.configuration());
    }

    static OutcomeWatcher start(Connection connection) {
        return new OutcomeWatcher(connection);
    }

    /** Prints a line per outcome and a progress line; true when every document reached an outcome in time. */
    boolean await(List<DocumentEvent> events, Duration timeout) throws Exception {
        Map<String, DocumentEvent> pending = new LinkedHashMap<>();
        events.forEach(e -> pending.put(e.documentId, e));
        Map<String, Long> seen = new LinkedHashMap<>();
        int indexed = 0;
        int dead = 0;
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : deadLetters.poll(Duration.ofMillis(500))) {
                DeadLetter d = Json.fromString(r.value(), DeadLetter.class);
                DocumentEvent mine = d.documentId == null ? null : pending.get(d.documentId);
                // The same documentId may be another tenant's document: only this run's tenant counts.
                if (mine != null && mine.tenant.equals(d.tenant)) {
                    pending.remove(d.documentId);
                    dead++;
                    System.out.printf("\r  ✗ %s dead-lettered at %s: %s — %s%n", d.documentId, d.stage, d.error, d.message);
                }
            }
            for (DocumentEvent e : List.copyOf(pending.values())) {
                long chunks = chunks(e);
                // A document's chunks become searchable over one or more refreshes: wait until the count holds still.
                Long before = seen.put(e.documentId, chunks);
                if (chunks > 0 && before != null && before == chunks) {
                    pending.remove(e.documentId);
                    indexed++;
                    System.out.printf("\r  ✓ %s indexed: %d chunks%n", e.documentId, chunks);
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("\r  [%d/%d] indexed %d, dead-lettered %d, %.0f s   ", indexed + dead, events.size(), indexed, dead, secs);
        }
        System.out.println();
        if (!pending.isEmpty()) {
            System.out.println("  Still pending after " + timeout + ": " + pending.keySet());
        }
        return pending.isEmpty();
    }

    private long chunks(DocumentEvent e) throws Exception {
        if (!client.indices().exists(x -> x.index(connection.index)).value()) {
            return 0;
        }
        return client.count(c -> c.index(connection.index).query(q -> q.bool(b -> b
                .filter(Query.of(f -> f.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(e.documentId)))))
                .filter(Query.of(f -> f.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(e.tenant)))))
                .filter(Query.of(f -> f.term(t -> t.field(ChunkIndex.VERSION).value(FieldValue.of(e.version)))))))).count();
    }

    @Override
    public void close() {
        deadLetters.close();
        OpenSearchClients.close(client);
    }
}
