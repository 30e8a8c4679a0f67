package io.streamrag.cli.eval;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A fresh chunk index of the evaluation documents for the eval tools: backfilled with the ingest job (bounded files
 * source, tenant {@value #TENANT}) on the local Kafka and OpenSearch; {@link #close()} removes the index and topic.
 */
final class EvalIndex implements AutoCloseable {

    static final String TENANT = "eval";
    static final String KAFKA = "127.0.0.1:9092";
    static final String OPENSEARCH = "http://127.0.0.1:9200";

    final String alias;
    final OpenSearchClient client;
    private final String dlq;
    private final Admin admin;
    private final List<String> topics = new ArrayList<>();

    private EvalIndex(String prefix) {
        alias = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        dlq = alias + "-dlq";
        admin = Admin.create(Map.of("bootstrap.servers", KAFKA));
        client = OpenSearchClients.create(connection(alias));
    }

    /** The connection options of the local services, with {@code alias} as the chunk index. */
    static Configuration connection(String alias) {
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH);
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA);
        return conf;
    }

    /** Backfills {@code docs} into a new index named {@code prefix-<random>}; returns when it is searchable. */
    static EvalIndex backfill(String prefix, Path docs) throws Exception {
        EvalIndex index = new EvalIndex(prefix);
        try {
            index.admin.createTopics(List.of(new NewTopic(index.dlq, 1, (short) 1))).all().get();
            Configuration conf = connection(index.alias);
            conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, index.dlq);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
            conf.set(IngestOptions.PATH, docs.toString());
            conf.set(IngestOptions.TENANT, TENANT);
            conf.set(IngestOptions.PARALLELISM, 2);
            conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2));
            long start = System.nanoTime();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            IngestJob.configure(env, conf);
            IngestJob.fromConfiguration(conf).execute(env); // bounded: returns when the folder is indexed
            index.client.indices().refresh(r -> r.index(index.alias));
            System.out.printf("backfilled %s in %.0f s%n", docs, (System.nanoTime() - start) / 1e9);
            return index;
        } catch (Exception e) {
            index.close();
            throw e;
        }
    }

    /** Creates a topic that {@link #close()} deletes with the index. */
    String topic(String name) throws Exception {
        String topic = alias + "-" + name;
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        topics.add(topic);
        return topic;
    }

    @Override
    public void close() throws Exception {
        try {
            client.indices().delete(d -> d.index(alias + "-*"));
            topics.add(dlq);
            admin.deleteTopics(topics).all().get();
        } finally {
            admin.close();
            OpenSearchClients.close(client);
        }
    }
}
