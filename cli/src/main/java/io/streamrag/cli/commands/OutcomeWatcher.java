package io.streamrag.cli.commands;

import io.streamrag.cli.DurationConverter;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.KafkaTools;
import io.streamrag.cli.Terminal;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.IngestOutcome.Outcome;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

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

    /** What became of the events awaited: the outcomes in arrival order and the keys still pending at the timeout. */
    static final class Result {
        final List<IngestOutcome> outcomes = new ArrayList<>();
        final List<String> pending = new ArrayList<>();

        long count(Outcome outcome) {
            return outcomes.stream().filter(o -> o.outcome == outcome).count();
        }

        boolean allArrived() {
            return pending.isEmpty();
        }

        /** {@link ExitCodes#DEAD_LETTERS} before {@link ExitCodes#TIMEOUT} before {@link ExitCodes#OK}. */
        int exitCode() {
            return ExitCodes.forDocuments(count(Outcome.DEAD_LETTERED), allArrived());
        }
    }

    /** Prints a line per outcome and a progress line on {@code System.out}; true when every document reached an outcome in time. */
    boolean await(List<DocumentEvent> events, Duration timeout) {
        return await(events, timeout, System.out, Terminal.interactive()).allArrived();
    }

    /**
     * Waits for one outcome per event, printing a line per outcome to {@code out}; with {@code progress} (a terminal)
     * also a progress line rewritten in place, which pipes and files never get.
     */
    Result await(List<DocumentEvent> events, Duration timeout, PrintStream out, boolean progress) {
        Map<String, DocumentEvent> pending = new LinkedHashMap<>();
        events.forEach(e -> pending.put(key(e.tenant, e.documentId), e));
        Result result = new Result();
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : outcomes.poll(Duration.ofMillis(500))) {
                IngestOutcome o = Json.fromString(r.value(), IngestOutcome.class);
                // Every event sent here names a valid tenant (IngestCommand checks it first), so an outcome without
                // one is another producer's, even with one of our documentIds.
                String k = o.tenant == null || o.documentId == null ? null : key(o.tenant, o.documentId);
                DocumentEvent e = k == null ? null : pending.get(k);
                // Only the outcome of the event we sent: an older event of the same document may still be finishing.
                if (e == null || (e.version != null && o.version != e.version && o.outcome != Outcome.DEAD_LETTERED)) {
                    continue;
                }
                pending.remove(k);
                result.outcomes.add(o);
                out.println((progress ? "\r" : "") + describe(o));
            }
            if (progress) {
                double secs = (System.nanoTime() - start) / 1e9;
                out.printf("\r  [%d/%d] indexed %d, dead-lettered %d, stale %d, %.0f s   ", events.size() - pending.size(), events.size(),
                        result.count(Outcome.INDEXED), result.count(Outcome.DEAD_LETTERED), result.count(Outcome.STALE), secs);
            }
        }
        if (progress) {
            out.println();
        }
        out.printf("  %d/%d documents: indexed %d, deleted %d, stale %d, dead-lettered %d%n", events.size() - pending.size(), events.size(),
                result.count(Outcome.INDEXED), result.count(Outcome.DELETED), result.count(Outcome.STALE),
                result.count(Outcome.DEAD_LETTERED));
        // Shown as tenant/documentId, as before: the key is for matching only.
        List<String> still = pending.values().stream().map(e -> e.tenant + "/" + e.documentId).collect(Collectors.toList());
        if (!still.isEmpty()) {
            out.println("  Still pending after " + DurationConverter.format(timeout) + ": " + still);
        }
        result.pending.addAll(still);
        return result;
    }

    static String describe(IngestOutcome o) {
        switch (o.outcome) {
            case INDEXED:
                return String.format("  ✓ %s indexed: %d chunks, written %.1f s after the event", o.documentId, o.chunks, o.latencyMs / 1000.0);
            case DELETED:
                return String.format("  ✓ %s deleted: %d chunks", o.documentId, o.chunks);
            case STALE:
                return String.format("  - %s stale: %s", o.documentId, o.message);
            default:
                return String.format("  ✗ %s dead-lettered at %s: %s — %s", o.documentId, o.stage, o.error, o.message);
        }
    }

    /** The job's own document key: "a/b" + "c" and "a" + "b/c" stay two documents. */
    private static String key(String tenant, String documentId) {
        return Chunk.documentKey(tenant, documentId);
    }

    @Override
    public void close() {
        outcomes.close();
    }
}
