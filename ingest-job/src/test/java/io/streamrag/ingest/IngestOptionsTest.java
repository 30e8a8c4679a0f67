package io.streamrag.ingest;

import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.Configs;
import io.streamrag.common.config.OptionsTable;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.retry.Backoff;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/** The one options style: every key under {@code ingest.}, constants named like their keys, old keys still read. */
class IngestOptionsTest {

    @Test
    void everyKeyHasThePrefixAndItsConstantIsNamedLikeIt() throws Exception {
        List<ConfigOption<?>> options = options();
        assertThat(options).hasSizeGreaterThan(50);
        for (Field f : IngestOptions.class.getFields()) {
            if (f.getType() != ConfigOption.class) {
                continue;
            }
            String key = ((ConfigOption<?>) f.get(null)).key();
            assertThat(key).startsWith("ingest.");
            assertThat(f.getName()).as(key)
                    .isEqualTo(key.substring("ingest.".length()).replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT));
            assertThat(((ConfigOption<?>) f.get(null)).description().toString()).as(key).isNotBlank();
        }
    }

    @Test
    void everyDeprecatedKeyIsStillReadAndTheNewKeyWins() throws Exception {
        int deprecated = 0;
        for (ConfigOption<?> option : options()) {
            for (FallbackKey old : option.fallbackKeys()) {
                assertThat(old.isDeprecated()).isTrue();
                assertThat(old.getKey()).doesNotStartWith("ingest.");
                deprecated++;
            }
        }
        assertThat(deprecated).isGreaterThan(40);

        Configuration old = new Configuration();
        old.setString("limits.max-pages", "7");
        old.setString("ocr.provider", "none");
        old.setString("index.version-lookup", "false");
        old.setString("limits.max-bytes", "1048576");   // a plain number was bytes and still is
        old.setString("fetch.total-timeout", "PT3S");
        assertThat(old.get(IngestOptions.LIMITS_MAX_PAGES)).isEqualTo(7);
        assertThat(old.get(IngestOptions.OCR_PROVIDER)).isEqualTo(IngestOptions.OcrProvider.NONE);
        assertThat(old.get(IngestOptions.INDEX_VERSION_LOOKUP)).isFalse();
        assertThat(old.get(IngestOptions.LIMITS_MAX_BYTES)).isEqualTo(MemorySize.ofMebiBytes(1));
        assertThat(old.get(IngestOptions.FETCH_TOTAL_TIMEOUT)).isEqualTo(Duration.ofSeconds(3));

        old.setString("ingest.limits.max-pages", "9");
        assertThat(old.get(IngestOptions.LIMITS_MAX_PAGES)).isEqualTo(9);
    }

    @Test
    void sourceIsAnEnumWrittenAsInTheDocs() {
        Configuration conf = new Configuration();
        assertThat(conf.get(IngestOptions.SOURCE)).isEqualTo(IngestOptions.SourceKind.KAFKA);
        conf.setString("ingest.source", "kafka-bounded");
        assertThat(conf.get(IngestOptions.SOURCE)).isEqualTo(IngestOptions.SourceKind.KAFKA_BOUNDED);
        // Round trip through program arguments (bin/rag passes the configuration as --key value).
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        assertThat(conf.toMap()).containsEntry("ingest.source", "files");
        assertThat(Configuration.fromMap(conf.toMap()).get(IngestOptions.SOURCE)).isEqualTo(IngestOptions.SourceKind.FILES);
    }

    @Test
    void configureSetsTheBufferTimeout() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        IngestJob.configure(env, new Configuration());
        assertThat(env.getBufferTimeout()).isZero(); // each record at once, not Flink's 100 ms: a trickled document crosses four exchanges
        Configuration conf = new Configuration();
        conf.set(IngestOptions.BUFFER_TIMEOUT, Duration.ofMillis(40));
        IngestJob.configure(env, conf);
        assertThat(env.getBufferTimeout()).isEqualTo(40L);
    }

    @Test
    void anEmbeddingFlushThatKeepsFailingEndsBeforeItsCheckpointTimesOut() {
        for (Duration budget : List.of(IngestOptions.INDEX_RETRY_BUDGET.defaultValue(), Duration.ofMinutes(30), Duration.ofMinutes(1))) {
            Configuration conf = new Configuration();
            conf.set(IngestOptions.INDEX_RETRY_BUDGET, budget);
            conf.set(IngestOptions.SINK_TRANSACTION_TIMEOUT, Duration.ofHours(2)); // a broker allowing transactions that long
            conf.set(StreamRagOptions.KAFKA_TRANSACTION_MAX_TIMEOUT, Duration.ofHours(2));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.getCheckpointConfig().setCheckpointTimeout(10); // the least Flink takes, so configure's own floor is what is checked
            IngestJob.configure(env, conf);
            // The last retry starts within the embedder's budget and its call ends within the longest call.
            Backoff embed = IngestOptions.embedBackoff(conf);
            long longestFlush = embed.budget().plus(EmbeddingModels.longestRemoteCall()).toMillis();
            assertThat(longestFlush).as(budget.toString()).isLessThan(env.getCheckpointConfig().getCheckpointTimeout());
            assertThat(embed.budget()).as(budget.toString()).isGreaterThanOrEqualTo(budget.dividedBy(2));
        }
        // The default leaves a flush 2 minutes to spare: the barrier still has to reach the embedder.
        assertThat(IngestOptions.embedBackoff(new Configuration()).budget()).isEqualTo(Duration.ofMinutes(3));
    }

    @Test
    void anIndexFlushThatKeepsFailingEndsBeforeItsCheckpointTimesOut() {
        for (Duration budget : List.of(IngestOptions.INDEX_RETRY_BUDGET.defaultValue(), Duration.ofMinutes(30), Duration.ofMinutes(1))) {
            Configuration conf = new Configuration();
            conf.set(IngestOptions.INDEX_RETRY_BUDGET, budget);
            conf.set(IngestOptions.SINK_TRANSACTION_TIMEOUT, Duration.ofHours(2)); // a broker allowing transactions that long
            conf.set(StreamRagOptions.KAFKA_TRANSACTION_MAX_TIMEOUT, Duration.ofHours(2));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.getCheckpointConfig().setCheckpointTimeout(10);
            IngestJob.configure(env, conf);
            // One budget per flush for all its requests; the last retry leaves its request the longest call.
            Backoff os = IngestOptions.openSearchBackoff(conf);
            assertThat(os.budget()).isEqualTo(budget);
            assertThat(os.lastCallReserve()).isEqualTo(budget.dividedBy(2).compareTo(OpenSearchClients.longestCall()) < 0
                    ? budget.dividedBy(2) : OpenSearchClients.longestCall());
            long lastRetryEnds = os.budget().minus(os.lastCallReserve()).plus(OpenSearchClients.longestCall()).toMillis();
            assertThat(lastRetryEnds).as(budget.toString()).isLessThan(env.getCheckpointConfig().getCheckpointTimeout());
        }
        assertThat(OpenSearchClients.longestCall()).isEqualTo(Duration.ofSeconds(71));
    }

    @Test
    void theDeprecatedMaxRetriesIsStillAccepted() throws Exception {
        // It has no effect any more (item rejections share the flush's retry budget), but a job that sets it must start.
        Configuration conf = Configs.fromArgs(new String[] {"--ingest.index.max-retries", "3", "--index.max-retries", "4"},
                ConfigKeys.forJob(IngestOptions.class));
        assertThat(conf.get(IngestOptions.INDEX_MAX_RETRIES)).isEqualTo(3);
        assertThat(OptionsTable.markdown(IngestOptions.class)).contains("| `ingest.index.max-retries` | Integer | `5` | Deprecated, no effect");
    }

    @Test
    void aBoundedRunReadsInAConsumerGroupOfItsOwnUnlessSet() {
        assertThat(IngestOptions.groupId(new Configuration())).isEqualTo("streamrag-ingest");
        Configuration reindex = new Configuration();
        reindex.setString("ingest.source", "kafka-bounded");
        assertThat(IngestOptions.groupId(reindex)).isEqualTo("streamrag-ingest-kafka-bounded");
        reindex.setString("ingest.group-id", "reindex-green");
        assertThat(IngestOptions.groupId(reindex)).isEqualTo("reindex-green");
        Configuration live = new Configuration();
        live.setString("ingest.group-id", "live-2");
        assertThat(IngestOptions.groupId(live)).isEqualTo("live-2");
    }

    @Test
    void aBoundedRunGetsTransactionalIdsOfItsOwnUnlessSet() {
        String live = IngestOptions.transactionalIdPrefix(new Configuration());
        assertThat(live).isEqualTo("streamrag-ingest");

        Configuration reindex = new Configuration();
        reindex.setString("ingest.source", "kafka-bounded");
        assertThat(IngestOptions.transactionalIdPrefix(reindex)).isEqualTo("streamrag-ingest-kafka-bounded-streamrag-ingest-dc33edee");
        reindex.setString("ingest.group-id", "reindex green/2");
        // The same run (a catch-up with the same group) gets the same ids, so it aborts what a failed one left open.
        assertThat(IngestOptions.transactionalIdPrefix(reindex)).isEqualTo("streamrag-ingest-kafka-bounded-reindex_green_2-fb11d7a4")
                .isEqualTo(IngestOptions.transactionalIdPrefix(new Configuration(reindex)));

        Configuration files = new Configuration();
        files.setString("ingest.source", "files");
        files.setString("ingest.path", "/data/acme/manuals/");
        files.setString("ingest.tenant", "acme");
        String manuals = IngestOptions.transactionalIdPrefix(files);
        assertThat(manuals).matches("streamrag-ingest-files-acme-manuals-[0-9a-f]{8}");
        files.setString("ingest.path", "/data/other/manuals");
        assertThat(IngestOptions.transactionalIdPrefix(files)).startsWith("streamrag-ingest-files-acme-manuals-").isNotEqualTo(manuals);

        // The sinks' ids (prefix + -dlq / -outcomes) and the live job's never start with one another: the Kafka sink
        // aborts lingering transactions by prefix.
        for (String bounded : List.of(IngestOptions.transactionalIdPrefix(reindex), manuals)) {
            for (String suffix : List.of("-dlq", "-outcomes")) {
                for (String liveSuffix : List.of("-dlq", "-outcomes")) {
                    assertThat(bounded + suffix + "-0-1").doesNotStartWith(live + liveSuffix);
                    assertThat(live + liveSuffix + "-0-1").doesNotStartWith(bounded + suffix);
                }
            }
        }

        // Set explicitly, the prefix is used as given, bounded or not (bin/rag backfill sets its own).
        files.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "streamrag-backfill-1");
        assertThat(IngestOptions.transactionalIdPrefix(files)).isEqualTo("streamrag-backfill-1");
        Configuration explicitLive = new Configuration();
        explicitLive.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "ingest-blue");
        assertThat(IngestOptions.transactionalIdPrefix(explicitLive)).isEqualTo("ingest-blue");
    }

    private static List<ConfigOption<?>> options() throws IllegalAccessException {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field f : IngestOptions.class.getFields()) {
            if (f.getType() == ConfigOption.class && Modifier.isStatic(f.getModifiers())) {
                options.add((ConfigOption<?>) f.get(null));
            }
        }
        return options;
    }
}
