package io.streamrag.ingest.pipeline;

import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;

import static org.assertj.core.api.Assertions.assertThat;

/** The sinks take the run's transactional id prefix: a bounded run's own, so it never fences the continuous job's sinks. */
class IngestSinksTest {

    private static String prefixOf(KafkaSink<?> sink) throws Exception {
        Field f = KafkaSink.class.getDeclaredField("transactionalIdPrefix"); // not exposed; the builder's input
        f.setAccessible(true);
        return (String) f.get(sink);
    }

    @Test
    void aBoundedRunsSinksDoNotShareTheContinuousJobsTransactionalIds() throws Exception {
        Configuration live = new Configuration();
        assertThat(prefixOf(IngestSinks.deadLetterSink(live))).isEqualTo("streamrag-ingest-dlq");
        assertThat(prefixOf(IngestSinks.outcomeSink(live))).isEqualTo("streamrag-ingest-outcomes");

        Configuration reindex = new Configuration();
        reindex.set(IngestOptions.SOURCE, IngestOptions.SourceKind.KAFKA_BOUNDED);
        reindex.set(IngestOptions.GROUP_ID, "reindex-green");
        assertThat(prefixOf(IngestSinks.deadLetterSink(reindex))).isEqualTo("streamrag-ingest-kafka-bounded-reindex-green-eb71648e-dlq");
        assertThat(prefixOf(IngestSinks.outcomeSink(reindex))).isEqualTo("streamrag-ingest-kafka-bounded-reindex-green-eb71648e-outcomes");

        // Group ids the id's character set maps alike still get their own ids: two such runs would fence each other.
        Configuration slash = new Configuration(reindex);
        slash.set(IngestOptions.GROUP_ID, "reindex/green");
        Configuration underscore = new Configuration(reindex);
        underscore.set(IngestOptions.GROUP_ID, "reindex_green");
        assertThat(IngestOptions.transactionalIdPrefix(slash)).isNotEqualTo(IngestOptions.transactionalIdPrefix(underscore));
    }
}
