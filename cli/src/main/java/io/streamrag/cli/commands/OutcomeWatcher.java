package io.streamrag.cli.commands;

import io.streamrag.cli.KafkaTools;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.IngestOutcome;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Watches what became of document events on the outcomes topic (read_committed: the ingest job writes exactly one
 * outcome per event, transactionally). Started before the events are sent so no outcome is missed.
 */
final class OutcomeWatcher implements AutoCloseable {

    private final KafkaConsumer<String, String> outcomes;

    private OutcomeWatcher(Connection connection) {
        this.outcomes = KafkaTools.committedConsumer(connection.kafka(), connection.outcomesTopic, true);
    }

    static OutcomeWatcher start(Connection connection) {
        return new OutcomeWatcher(connection);
    }

    /** Prints a line per outcome and a progress line; true when every document reached an outcome in time. */
    boolean await(List<DocumentEvent> events, Duration timeout) {
        Map<String, DocumentEvent> pending = new LinkedHashMap<>();
        events.forEach(e -> pending.put(key(e.tenant, e.documentId), e));
        Map<String, Integer> counts = new LinkedHashMap<>();
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : outcomes.poll(Duration.ofMillis(500))) {
                IngestOutcome o = Json.fromString(r.value(), IngestOutcome.class);
                // A dead letter of an event that failed validation may lack the tenant: match its documentId alone.
                String k = o.tenant != null ? key(o.tenant, o.documentId) : pending.keySet().stream()
                        .filter(p -> p.endsWith("/" + o.documentId)).findFirst().orElse("");
                DocumentEvent e = pending.get(k);
                // Only the outcome of the event we sent: an older event of the same document may still be finishing.
                if (e == null || (e.version != null && o.version != e.version && !IngestOutcome.DEAD_LETTERED.equals(o.outcome))) {
                    continue;
                }
                pending.remove(k);
                counts.merge(o.outcome, 1, Integer::sum);
                System.out.print("\r");
                System.out.println(describe(o));
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("\r  [%d/%d] indexed %d, dead-lettered %d, stale %d, %.0f s   ", events.size() - pending.size(), events.size(),
                    counts.getOrDefault(IngestOutcome.INDEXED, 0), counts.getOrDefault(IngestOutcome.DEAD_LETTERED, 0),
                    counts.getOrDefault(IngestOutcome.STALE, 0), secs);
        }
        System.out.println();
        if (!pending.isEmpty()) {
            System.out.println("  Still pending after " + timeout + ": " + pending.keySet());
        }
        return pending.isEmpty();
    }

    static String describe(IngestOutcome o) {
        switch (o.outcome) {
            case IngestOutcome.INDEXED:
                return String.format("  ✓ %s indexed: %d chunks, written %.1f s after the event", o.documentId, o.chunks, o.latencyMs / 1000.0);
            case IngestOutcome.DELETED:
                return String.format("  ✓ %s deleted: %d chunks", o.documentId, o.chunks);
            case IngestOutcome.STALE:
                return String.format("  - %s stale: %s", o.documentId, o.message);
            default:
                return String.format("  ✗ %s dead-lettered at %s: %s — %s", o.documentId, o.stage, o.error, o.message);
        }
    }

    private static String key(String tenant, String documentId) {
        return tenant + "/" + documentId;
    }

    @Override
    public void close() {
        outcomes.close();
    }
}
